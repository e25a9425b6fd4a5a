"""A real SMTP server that keeps what it receives, so tests can read the mails people would get."""
from __future__ import annotations

import asyncio
import email
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller

from .ports import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default)

    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class SmtpSink:
    """Collects mail; `refuse`, `refuse_rcpt` and `drop_after_data` make it misbehave as relays do."""

    def __init__(self, smtputf8: bool = True) -> None:
        self.received: list[Received] = []
        self.refuse: list[str] = []  # SMTP replies to give instead of 250, one per mail, in order
        self.refuse_rcpt: dict[str, str] = {}  # recipient -> the reply to its RCPT TO
        self.drop_after_data: dict[str, int] = {}  # recipient -> how many times to keep the mail and hang up
        self.delay = 0.0  # seconds each DATA takes, like a relay that writes to disk: kills land mid-batch
        self._changed = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=free_port(),
                                      enable_SMTPUTF8=smtputf8)

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._controller.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._changed:
            if self.refuse:
                return self.refuse.pop(0)
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
            self._changed.notify_all()
        dropping = [r for r in envelope.rcpt_tos if self.drop_after_data.get(r, 0) > 0]
        for recipient in dropping:
            self.drop_after_data[recipient] -= 1
        if dropping:  # kept, but the client never hears the 250: the relay dropped the line after DATA
            server.transport.abort()
        return "250 OK"

    def count_to(self, address: str) -> int:
        """Deliveries to address (every one counts, also the same Message-ID twice)."""
        return sum(address in mail.rcpt_tos for mail in self.received)

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Block until at least count mails arrived (or fail the test after timeout seconds)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} mails at the sink, got {len(self.received)}")
            return list(self.received)

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

