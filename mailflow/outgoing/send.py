"""The outbox dispatcher: delivers committed outbound rows through the relay (or into a folder), with retries
and growing back-off. A row is leased while it is sent, so a crash can at worst resend it, with the same
Message-ID, and several dispatchers never send the same row at once."""
from __future__ import annotations

import logging
import os
import smtplib
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import or_, select

from ..clock import Clock
from ..store.models import OutboundMessage
from ..store.session import Store

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)  # a killed dispatcher's rows go out again after this (same Message-ID)
MAX_ATTEMPTS = 8


class TemporaryFailure(Exception):
    """Try again later (4xx, connection trouble)."""


class PermanentFailure(Exception):
    """The relay refused this mail for good (5xx)."""


@dataclass(frozen=True)
class Letter:
    """One mail as the transport needs it."""

    row_id: int
    envelope_from: str
    recipient: str
    raw: bytes


class Transport(Protocol):
    def send(self, letters: list[Letter]) -> dict[int, Exception | None]: ...


class FolderTransport:
    """No relay configured: each mail becomes a readable .eml file, written atomically under a stable name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, letters: list[Letter]) -> dict[int, Exception | None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        for letter in letters:
            target = self.folder / f"{letter.row_id:08d}.eml"
            temporary = target.with_suffix(".tmp")
            temporary.write_bytes(f"Return-Path: <{letter.envelope_from}>\r\n".encode() + letter.raw)
            os.replace(temporary, target)
        return {letter.row_id: None for letter in letters}


class SmtpRelay:
    """Sends through MAILFLOW_RELAY (smtp://host:port), one connection per batch."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname or "localhost", parts.port or 25, timeout
        self.starttls = parts.scheme == "smtp+starttls"
        self.login = (parts.username, parts.password) if parts.username else None

    def send(self, letters: list[Letter]) -> dict[int, Exception | None]:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                self._greet(smtp)
                return {letter.row_id: self._send_one(smtp, letter) for letter in letters}
        except (OSError, smtplib.SMTPException) as exc:
            return {letter.row_id: TemporaryFailure(f"relay {self.host}:{self.port}: {exc}") for letter in letters}

    def _greet(self, smtp: smtplib.SMTP) -> None:
        if self.starttls:
            smtp.starttls()
        if self.login:
            smtp.login(*self.login)

    @staticmethod
    def _send_one(smtp: smtplib.SMTP, letter: Letter) -> Exception | None:
        try:
            smtp.sendmail(letter.envelope_from, [letter.recipient], letter.raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _by_code(code, text)
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, exc.smtp_error)
        return None


def _by_code(code: int, text: bytes | str) -> Exception:
    message = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


class Dispatcher:
    """Moves due outbox rows to the transport and records what happened."""

    def __init__(self, store: Store, clock: Clock, transport: Transport, batch: int = 50) -> None:
        self.store, self.clock, self.transport, self.batch = store, clock, transport, batch

    def run(self, stop: threading.Event, wake: threading.Event, idle_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                sent = self.dispatch_due()
            except Exception:  # noqa: BLE001 - a lost database must not end the dispatcher
                log.exception("dispatcher: could not dispatch; trying again shortly")
                sent = 0
            if not sent:
                wake.wait(idle_seconds)
                wake.clear()

    def dispatch_due(self) -> int:
        """Send one batch of due mail; returns how many rows were tried."""
        letters = self._lease()
        if letters:
            self._record(self.transport.send(letters))
        return len(letters)

    def drain(self) -> int:
        total = 0
        while (count := self.dispatch_due()):
            total += count
        return total

    def _lease(self) -> list[Letter]:
        now = self.clock.now()
        with self.store.transaction() as session:
            query = (select(OutboundMessage)
                     .where(or_(OutboundMessage.state == "pending", OutboundMessage.state == "sending"),
                            OutboundMessage.next_attempt_at <= now)
                     .order_by(OutboundMessage.id).limit(self.batch))
            if self.store.is_postgresql:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                row.state, row.next_attempt_at = "sending", now + LEASE
            return [Letter(r.id, r.envelope_from, r.recipient, r.raw) for r in rows]

    def _record(self, results: dict[int, Exception | None]) -> None:
        now = self.clock.now()
        with self.store.transaction() as session:
            for row in session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(list(results)))):
                error = results[row.id]
                row.attempts += 1
                if error is None:
                    row.state, row.sent_at, row.last_error = "sent", now, ""
                    log.info("outbound %s sent to %s (%s)", row.id, row.recipient, row.template)
                    continue
                row.last_error = str(error)[:2000]
                gave_up = isinstance(error, PermanentFailure) or row.attempts >= MAX_ATTEMPTS
                row.state = "failed" if gave_up else "pending"
                row.next_attempt_at = now + _backoff(row.attempts)
                log.warning("outbound %s to %s: %s%s", row.id, row.recipient, error, " (gave up)" if gave_up else "")


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))
