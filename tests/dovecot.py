"""A throwaway Dovecot for tests: a real IMAP server on a free loopback port, its config, passwd-file, Maildir,
sockets and logs all in one temp dir, so the IMAP poller is tested against what it meets in production."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from imapclient import IMAPClient

from .support.ports import free_port
from .support.real_parts import missing

DOVECOT = Path("/usr/sbin/dovecot")
DOVEADM = Path("/usr/bin/doveadm")
USER = "mentoring"
PASSWORD = "s3cret pass/word"  # a space and a slash: the url must percent-encode them
START_TIMEOUT = 15.0

CONFIG = """\
protocols = imap
listen = 127.0.0.1
instance_name = {instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
# no growing delay after failed logins (anvil's auth penalty): tests log in wrong on purpose, and quickly
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_missing_reason() -> str | None:
    """Why the Dovecot tests cannot run here, or None when they can."""
    if not DOVECOT.exists():
        return f"{DOVECOT} is absent (apt-get install dovecot-imapd)"
    return None



@dataclass(frozen=True)
class Accounts:
    """Which system users Dovecot runs as: dovenull/dovecot when we are root, ourselves otherwise."""
    login_user: str
    internal_user: str
    mail_uid: int
    mail_gid: int

    @classmethod
    def for_this_process(cls) -> Accounts:
        if os.geteuid() == 0:
            mail = pwd.getpwnam("dovecot")
            return cls("dovenull", "dovecot", mail.pw_uid, mail.pw_gid)
        me = pwd.getpwuid(os.geteuid())
        return cls(me.pw_name, me.pw_name, me.pw_uid, me.pw_gid)


@dataclass
class DovecotServer:
    """A running Dovecot with one user; `url` is what MAILFLOW_IMAP would hold."""
    host: str
    port: int
    user: str
    password: str
    url: str
    root: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @contextlib.contextmanager
    def client(self, mailbox: str = "INBOX") -> Iterator[IMAPClient]:
        """A logged-in IMAPClient with mailbox selected, for arranging and inspecting in tests."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        try:
            client.login(self.user, self.password)
            client.select_folder(mailbox)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """APPEND a message, the way a mail server's delivery would put it there."""
        with self.client(mailbox) as client:
            client.append(mailbox, raw)

    def flags(self, mailbox: str = "INBOX") -> dict[int, set[str]]:
        """Each message's UID and its flags, as text."""
        with self.client(mailbox) as client:
            uids = client.search()
            fetched = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {uid: {flag.decode() for flag in data[b"FLAGS"]} for uid, data in fetched.items()}

    def kick(self) -> bool:
        """Make the server drop every IMAP connection of the user, as an admin or a timeout would; False when
        the user had none (doveadm exits 68 then)."""
        done = subprocess.run([str(DOVEADM), "-c", str(self.root / "dovecot.conf"), "kick", self.user],
                              capture_output=True, timeout=10)
        return done.returncode == 0

    def start(self) -> None:
        self.process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_greeting(self)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        finally:
            if self.process.stderr:
                self.process.stderr.close()

    def restart(self) -> None:
        """Stop and start again on the same port: every open connection is cut."""
        self.stop()
        self.start()

    def log_text(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def wait_for_greeting(server: DovecotServer) -> None:
    """Until the server greets with '* OK'; fails at once, with its log, if Dovecot exited instead."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            error = server.process.stderr.read().decode(errors="replace") if server.process.stderr else ""
            raise RuntimeError(f"dovecot exited with {server.process.returncode}: {error}\n{server.log_text()}")
        with contextlib.suppress(OSError):
            with socket.create_connection((server.host, server.port), timeout=1) as conn:
                if conn.recv(200).startswith(b"* OK"):
                    return
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not greet on port {server.port} within {START_TIMEOUT}s\n{server.log_text()}")


def write_config(root: Path, port: int, accounts: Accounts, extra_config: str) -> None:
    (root / "dovecot.conf").write_text(CONFIG.format(
        root=root, port=port, instance=f"mailflow-test-{root.name}", login_user=accounts.login_user,
        internal_user=accounts.internal_user, mail_uid=accounts.mail_uid, mail_gid=accounts.mail_gid)
        + extra_config)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    for name in ("mail", "home"):
        (root / name).mkdir()
        os.chown(root / name, accounts.mail_uid, accounts.mail_gid)


def imap_url(user: str, password: str, port: int) -> str:
    return f"imap://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}/INBOX"


@contextlib.contextmanager
def running_dovecot(extra_config: str = "") -> Iterator[DovecotServer]:
    """Start a fresh Dovecot in a temp dir (world-traversable, so its unprivileged processes reach it) and stop
    it, removing every trace, afterwards. extra_config lines are appended, e.g. 'imap_capability = IMAP4rev1'."""
    reason = dovecot_missing_reason()
    if reason:
        missing(reason)  # a skip here, a failure in CI
    root = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    write_config(root, port, Accounts.for_this_process(), extra_config)
    server = DovecotServer("127.0.0.1", port, USER, PASSWORD, imap_url(USER, PASSWORD, port), root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
