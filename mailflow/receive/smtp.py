"""The SMTP receiver: rejects strangers' recipients and oversized mail early, and says 250 only
after the message is committed to the store (451 when it cannot be). Storing runs off the event
loop, in a thread, as group commits: the messages of every DATA that ends while one commit runs go
together in the next, so concurrent senders share one transaction and one fsync."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from aiosmtpd.smtp import Session as SmtpSession

from ..config import Settings
from ..ingest import Envelope
from ..tokens import is_token_local_part

log = logging.getLogger(__name__)

# at most this many messages in one commit: a burst is taken in steps of bounded memory and time
GROUP_LIMIT = 64


class Ingest(Protocol):
    def store_all(self, messages: list[tuple[bytes, Envelope]]) -> list[object]:
        """Each message's id, None (stored before) or the exception that kept it from the store."""


class GroupCommit:
    """Collects the messages waiting for their 250 and stores them a group at a time: while one
    group commits in the thread, the next gathers; each sender is answered when its group is
    durable (or told 451 when its message could not be stored)."""

    def __init__(self, ingest: Ingest, executor: ThreadPoolExecutor) -> None:
        self._ingest = ingest
        self._executor = executor
        self._waiting: list[tuple[bytes, Envelope, asyncio.Future]] = []
        self._committing = False

    async def store(self, raw: bytes, envelope: Envelope) -> object:
        """The message's id (or None for a duplicate) once it is committed; raises when it cannot
        be stored."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((raw, envelope, future))
        if not self._committing:
            self._committing = True
            loop.create_task(self._commit_all())
        result = await future
        if isinstance(result, Exception):
            raise result
        return result

    async def _commit_all(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                group = self._waiting[:GROUP_LIMIT]
                del self._waiting[:GROUP_LIMIT]
                messages = [(raw, envelope) for raw, envelope, _ in group]
                try:
                    results = await loop.run_in_executor(self._executor, self._ingest.store_all,
                                                         messages)
                except Exception as exc:  # noqa: BLE001 - each waiting sender hears 451
                    results = [exc] * len(group)
                for (_, _, future), result in zip(group, results):
                    if not future.done():  # a sender that hung up no longer waits
                        future.set_result(result)
        finally:
            self._committing = False


class ReceiverHandler:
    """aiosmtpd handler: one decision per SMTP stage."""

    def __init__(self, settings: Settings, ingest: Ingest) -> None:
        self._settings = settings
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._group = GroupCommit(ingest, self._executor)

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
        try:
            await self._group.store(raw, stored)
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
