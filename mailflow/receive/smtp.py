"""The SMTP receiver: rejects strangers' recipients and oversized mail early, and says 250 only
after the message is committed to the store (451 when it cannot be). Storing runs off the event
loop, in threads."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from aiosmtpd.smtp import Session as SmtpSession

from ..config import Settings
from ..ingest import Envelope
from ..tokens import is_token_local_part

log = logging.getLogger(__name__)

Ingest = Callable[[bytes, Envelope], object]


class ReceiverHandler:
    """aiosmtpd handler: one decision per SMTP stage."""

    def __init__(self, settings: Settings, ingest: Ingest, threads: int = 4) -> None:
        self._settings = settings
        self._ingest = ingest
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ingest")

    def is_ours(self, address: str) -> bool:
        local, _, domain = address.lower().rpartition("@")
        if domain != self._settings.domain:
            return False
        fixed = (self._settings.hello_local, self._settings.coordinators_local)
        return local in fixed or is_token_local_part(local)

    async def handle_RCPT(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self.is_ours(address):
            log.info("RCPT refused for %s from %s", address, session.peer)
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        stored = Envelope(envelope.mail_from or "", tuple(envelope.rcpt_tos), "smtp")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._ingest, raw, stored)
        except Exception:  # noqa: BLE001 - whatever went wrong, the sender must keep the message
            log.exception("could not store a message from %s; answered 451", envelope.mail_from)
            return "451 4.3.0 Cannot store the message right now, please try again later"
        return "250 2.0.0 Message accepted"

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def smtp_controller(settings: Settings, ingest: Ingest) -> tuple[Controller, ReceiverHandler]:
    """A controller that runs the receiver in its own thread; start() and stop() it."""
    handler = ReceiverHandler(settings, ingest)
    host, port = settings.smtp_host_port
    controller = Controller(handler, hostname=host, port=port,
                            data_size_limit=settings.max_message_bytes,
                            server_hostname=settings.domain, ident="mailflow", decode_data=False,
                            # senders with internationalised addresses (RFC 6531)
                            enable_SMTPUTF8=True)
    return controller, handler
