"""`python run.py demo` plays a whole mentorship through a throwaway instance and exits 0."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .support.running import pdf_text

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_plays_a_whole_mentorship_and_says_where_everything_lies(tmp_path):
    folder = tmp_path / "demo"
    done = subprocess.run([sys.executable, "run.py", "demo", "--dir", str(folder)], cwd=ROOT, capture_output=True,
                          text=True, timeout=240, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    shown = done.stdout
    for step in ("IMPORT", "REQUEST", "ACCEPT", "officially begun", "Invitation:",
                 "accepted the meeting", "How was your meeting", "would like to end your mentorship",
                 "Your mentorship is complete", "is genuine"):
        assert step in shown, step
    assert f"The mails lie in {folder / 'outbox'}" in shown
    [certificate] = folder.glob("certificate-*.pdf")
    text = " ".join(pdf_text(certificate.read_bytes()).split())
    assert "Zoë Łukasiewicz-Öztürk" in text and "Nguyễn Thị Minh Khai" in text
    assert "Number of meetings 1" in text and "Meeting dates 2026-12-10" in text
    mails = sorted((folder / "outbox").glob("*.eml"))
    assert len(mails) >= 25
    for mail in mails:  # long non-ASCII names and subjects are folded after the field name, not before the text
        head = mail.read_bytes().split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"^[\w-]+:[ \t]*\r\n[ \t]", head, flags=re.MULTILINE), (mail.name, head[:600])
    assert "Re:  " not in shown, "subjects read back without a leading space"
