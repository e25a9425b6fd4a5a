"""A throwaway aerc for tests: the real terminal mail client, headless in its own tmux server, with
one account over a Maildir in a temp dir whose outgoing mail goes by SMTP to a loopback port (the
app's real receiver). aerc's `:accept`, `:accept-tentative` and `:decline` build the iTIP REPLY from
the invitation they answer, so what mailflow gets is what a person using aerc sends.

Every step waits on what can be seen (the pane's text, the answer arriving), never on a sleep."""
from __future__ import annotations

import contextlib
import email
import shutil
import subprocess
import tempfile
import time
from email.policy import default
from pathlib import Path
from typing import Callable, Iterator

from .support.real_parts import missing

AERC = Path("/usr/bin/aerc")
TMUX = Path("/usr/bin/tmux")
ANSWERS = ("accept", "accept-tentative", "decline")
TIMEOUT = 20.0

AERC_CONF = """\
[general]
unsafe-accounts-conf = true
[ui]
[compose]
# the body is what aerc writes itself; an editor that ends at once goes straight to the review
editor = true
[filters]
text/plain = cat
"""
ACCOUNTS_CONF = """\
[{account}]
source = maildir://{mail}
outgoing = smtp+none://127.0.0.1:{port}
default = INBOX
from = {sender}
copy-to =
"""


def aerc_missing_reason() -> str | None:
    for program, package in ((AERC, "aerc"), (TMUX, "tmux")):
        if not program.exists():
            return f"{program} is absent (apt-get install {package})"
    return None


class Aerc:
    """One person's aerc: `answer()` puts an invitation in their INBOX, opens aerc on it, runs one
    of ANSWERS and sends what aerc composed."""

    def __init__(self, root: Path, sender: str, smtp_port: int) -> None:
        self.root, self.sender, self.smtp_port = root, sender, smtp_port
        self.inbox = root / "mail" / "INBOX"
        self._socket = root / "tmux.sock"
        config = root / "config" / "aerc"
        config.mkdir(parents=True)
        (config / "aerc.conf").write_text(AERC_CONF)
        (config / "accounts.conf").write_text(ACCOUNTS_CONF.format(
            account="person", mail=root / "mail", port=smtp_port, sender=sender))
        shutil.copy("/usr/share/aerc/binds.conf", config / "binds.conf")

    def answer(self, invitation: bytes, command: str, *, arrived: Callable[[], bool]) -> None:
        """aerc answers invitation (the raw mail as we sent it) with :command; returns once
        arrived() says the answer reached the receiver."""
        assert command in ANSWERS, command
        self._only_mail(invitation)
        self._start()
        try:
            # the message list shows the one mail, selected
            self.wait_for_screen(_subject(invitation)[:20])
            self.type(f":{command}", "Enter")
            self.wait_for_screen("Send this email?")
            self.type("y")
            wait(arrived, f"aerc's {command} answer at the receiver", self.screen)
        finally:
            self.stop()

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "aerc").stdout

    def type(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "aerc", *keys)

    def wait_for_screen(self, text: str) -> None:
        wait(lambda: text in self.screen(), f"{text!r} on aerc's screen", self.screen)

    def _only_mail(self, raw: bytes) -> None:
        """The INBOX as a Maildir holding just this mail, new and unread."""
        shutil.rmtree(self.inbox, ignore_errors=True)
        for sub in ("cur", "new", "tmp"):
            (self.inbox / sub).mkdir(parents=True)
        (self.inbox / "new" / "1.mailflow-test").write_bytes(raw.replace(b"\r\n", b"\n"))

    def _start(self) -> None:
        env = {"HOME": str(self.root), "XDG_CONFIG_HOME": str(self.root / "config"),
               "XDG_CACHE_HOME": str(self.root / "cache"), "XDG_DATA_HOME": str(self.root / "data"),
               "XDG_STATE_HOME": str(self.root / "state"), "TERM": "xterm-256color",
               "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        command = " ".join(f"{k}='{v}'" for k, v in env.items()) + f" {AERC}"
        self._tmux("new-session", "-d", "-s", "aerc", "-x", "160", "-y", "40", f"env -i {command}")

    def stop(self) -> None:
        self._tmux("kill-server", check=False)

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(TMUX), "-S", str(self._socket), *args], capture_output=True,
                              text=True, timeout=TIMEOUT, check=check)


def _subject(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=default)["Subject"])


def wait(condition: Callable[[], bool], what: str, screen: Callable[[], str]) -> None:
    """Poll condition until it holds; fail with aerc's screen after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; aerc shows:\n{screen()}")
        time.sleep(0.05)


@contextlib.contextmanager
def running_aerc(sender: str, smtp_port: int) -> Iterator[Aerc]:
    """An aerc for sender ("Otto Mentor <otto@example.org>") sending to smtp_port; its temp dir and
    tmux server are gone afterwards."""
    reason = aerc_missing_reason()
    if reason:
        missing(reason)  # a skip here, a failure in CI
    root = Path(tempfile.mkdtemp(prefix="mailflow-aerc-"))
    client = Aerc(root, sender, smtp_port)
    try:
        yield client
    finally:
        client.stop()
        shutil.rmtree(root, ignore_errors=True)
