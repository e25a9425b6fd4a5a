#!/usr/bin/env python3
"""How long hostile mail holds a worker: parse, robots, reply text and command for mails built to
be slow (invalid UTF-8, a one-line HTML part, a broken calendar, many parts). Prints ms per mail;
asserts nothing."""
from __future__ import annotations

import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailflow.parsers.calendar_reply import carries_calendar, read_calendar  # noqa: E402
from mailflow.parsers.commands import read_command  # noqa: E402
from mailflow.parsers.mime import parse_mail  # noqa: E402
from mailflow.parsers.reply_text import new_text  # noqa: E402
from mailflow.parsers.robots import classify  # noqa: E402


def mail(subtype: str, payload: bytes, charset: str = "utf-8") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "x@example.org", "hello@m.test", "HELP"
    message.set_content(payload, maintype="text", subtype=subtype,
                        cte="8bit" if subtype == "plain" else "base64",
                        params={"charset": charset})
    return message.as_bytes()


def many_parts(count: int) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "x@example.org", "hello@m.test", "HELP"
    message.set_content("hello")
    for number in range(count):
        message.add_attachment(b"x" * 10, maintype="application", subtype="octet-stream",
                               filename=f"{number}.bin")
    return message.as_bytes()


CASES = {
    "3.2 MB invalid UTF-8": lambda: mail("plain", b"\xff\xfe" * 1_600_000),
    "20 MB one-line HTML": lambda: mail("html", b"<p>" + b"a<b>b</b>" * 2_300_000),
    "7 MB broken calendar": lambda: mail("calendar",
                                         b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\nX:" * 400_000),
    "5,000 parts": lambda: many_parts(5_000),
}


def handle(raw: bytes) -> None:
    parsed = parse_mail(raw)
    classify(parsed, "x@example.org")
    text = new_text(parsed.text)
    read_command(parsed.subject, text)
    if carries_calendar(parsed.message):
        read_calendar(parsed.message)


def main() -> None:
    for name, build in CASES.items():
        raw = build()
        began = time.perf_counter()
        handle(raw)
        print(f"{name:24} {len(raw) / 1e6:6.1f} MB  {1000 * (time.perf_counter() - began):8.0f} ms")


if __name__ == "__main__":
    main()
