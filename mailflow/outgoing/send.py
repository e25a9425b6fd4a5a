"""The outbox dispatcher: delivers committed outbound rows through the relay (or into a folder),
with retries and growing back-off. A leased batch is sent letter by letter and each relay acceptance
is journalled (fsynced) right after its 250, before the next letter; the batch's fates then go to
the database in one commit. So a crash, or a database outage, re-sends at most the one letter in
flight, with the same Message-ID; several dispatchers never send the same row at once: a letter is
begun only while its whole transaction, at the relay's slowest, still ends inside the batch's
lease, and the letters left over go back to the outbox for the next pass."""
from __future__ import annotations

import logging
import os
import smtplib
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Protocol
from urllib.parse import urlsplit

from sqlalchemy import Integer, Row, Update, bindparam, or_, select, update
from sqlalchemy.exc import OperationalError

from ..clock import Clock
from ..store.models import OutboundMessage, Person
from ..store.outage import Outage
from ..store.session import Store
from .journal import SentJournal
from .leases import LeaseNotes
from .results import Letter, NotTried, PermanentFailure, TemporaryFailure, UnknownFate
from .wire import wire_address

log = logging.getLogger(__name__)
# a killed dispatcher's rows go out again after this (same Message-ID); a live one begins no letter
# it could not finish inside it, so this is several times the relay's worst letter
LEASE = timedelta(minutes=5)
LIFETIME = timedelta(days=5)  # Postfix's maximal_queue_lifetime: then we give up and say so

Record = Callable[[int, Exception | None], None]
InTime = Callable[[], bool]


class Transport(Protocol):
    letter_time: timedelta  # the longest one letter can take once begun

    def send(self, letters: list[Letter], record: Record, in_time: InTime) -> None:
        """Deliver letters in order, calling record(row_id, error or None) right after each one's
        fate; begin a letter only while in_time() holds, and leave the rest unrecorded."""


class FolderTransport:
    """No relay configured: each mail becomes a readable .eml file, written atomically under a
    stable name."""

    letter_time = timedelta(seconds=10)

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, letters: list[Letter], record: Record, in_time: InTime) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for letter in letters:
            if not in_time():
                return
            target = self.folder / f"{letter.row_id:08d}.eml"
            temporary = target.with_suffix(".tmp")
            return_path = f"Return-Path: <{letter.envelope_from}>\r\n".encode()
            temporary.write_bytes(return_path + letter.raw)
            os.replace(temporary, target)
            record(letter.row_id, None)


class SmtpRelay:
    """Sends through MAILFLOW_RELAY (smtp://host:port), one connection per batch, one transaction
    per letter: each letter's MAIL, RCPT and DATA replies are its own, so one refusal or a drop
    touches only that letter. A letter waits at most five times the timeout: for the replies to
    MAIL, RCPT and DATA, for its bytes to go, and for the last reply."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 25
        self.timeout = timeout
        self.letter_time = timedelta(seconds=5 * timeout)
        self.starttls = parts.scheme == "smtp+starttls"
        self.login = (parts.username, parts.password) if parts.username else None

    def send(self, letters: list[Letter], record: Record, in_time: InTime) -> None:
        waiting = list(letters)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                self._greet(smtp)
                while waiting and in_time():
                    record(waiting[0].row_id, _send_one(smtp, waiting[0]))
                    waiting.pop(0)
        except _LostAfterData as lost:
            record(waiting.pop(0).row_id, UnknownFate(f"relay {self.host}:{self.port}: {lost}"))
            _not_tried(waiting, record, f"relay {self.host}:{self.port} went away")
        except (OSError, smtplib.SMTPException) as exc:
            _not_tried(waiting, record, f"relay {self.host}:{self.port}: {exc}")

    def _greet(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo_or_helo_if_needed()
        if self.starttls:
            smtp.starttls()
            smtp.ehlo()
        if self.login:
            smtp.login(*self.login)


class _LostAfterData(Exception):
    """The connection ended after the message was sent and before the relay's reply: we cannot
    know."""


def _send_one(smtp: smtplib.SMTP, letter: Letter) -> Exception | None:
    """One SMTP transaction. A refusal is this letter's result; a dropped connection before DATA is
    raised as is (nothing of this letter was taken), after DATA as _LostAfterData."""
    recipient = wire_address(letter.recipient)
    try:
        code, text = smtp.mail(letter.envelope_from, [] if recipient.isascii() else ["SMTPUTF8"])
    except smtplib.SMTPNotSupportedError:
        return PermanentFailure(f"the relay does not offer SMTPUTF8, needed for {recipient}")
    if code == 250:
        code, text = smtp.rcpt(recipient)
    if code not in (250, 251):
        smtp.rset()
        return _by_code(code, text)
    try:
        code, text = smtp.data(letter.raw)
    except smtplib.SMTPDataError as refused:
        return _by_code(refused.smtp_code, refused.smtp_error)
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise _LostAfterData(str(exc) or type(exc).__name__) from exc
    finally:
        smtp.command_encoding = "ascii"  # SMTPUTF8 holds for this one transaction
    return None if code == 250 else _by_code(code, text)


def _not_tried(letters: list[Letter], record: Record, why: str) -> None:
    for letter in letters:
        record(letter.row_id, NotTried(why))


def _by_code(code: int, text: bytes | str) -> Exception:
    message = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


class Dispatcher:
    """Moves due outbox rows to the transport and records each letter's fate as soon as it is
    known."""

    def __init__(self, store: Store, clock: Clock, transport: Transport, *, journal: SentJournal,
                 batch: int = 50, lifetime: timedelta = LIFETIME) -> None:
        self.store, self.clock, self.transport, self.batch = store, clock, transport, batch
        self.journal, self.lifetime = journal, lifetime
        self.leases = LeaseNotes(journal.path.with_name("leases"))  # shared as the journal is
        if transport.letter_time * 2 > LEASE:
            raise ValueError(f"a letter may take {transport.letter_time}: too long for a lease")
        self.outage = Outage("dispatcher", log)
        self.relay_outage = Outage("dispatcher", log, what="relay")

    def run(self, stop: threading.Event, wake: threading.Event, idle_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                sent = self.dispatch_due()
                self.outage.over(self.clock.now())
            except OperationalError as exc:
                # the database is away: one line now, one when it is back
                stop.wait(self.outage.begun(self.clock.now(), exc))
                continue
            except Exception:  # noqa: BLE001 - a bug must not end the dispatcher
                log.exception("dispatcher: could not dispatch; trying again shortly")
                sent = 0
            if not sent:
                wake.wait(idle_seconds)
                wake.clear()

    def dispatch_due(self) -> int:
        """Send one batch of due mail; returns how many letters the relay gave a fate: 0 also when
        it could not be reached, so that the caller waits instead of trying again at once."""
        self._apply_journal()
        self._release_orphans()
        leased, until = self._lease()
        if not leased:
            return 0
        self.leases.note([row.id for row in leased], until)
        fates: dict[int, Exception | None] = {}
        letters = [Letter(r.id, r.envelope_from, r.recipient, r.raw) for r in leased]
        last_start = until - self.transport.letter_time
        with self.journal.appending() as journal:
            self.transport.send(letters, lambda row_id, error:
                                self._note(journal, fates, row_id, error),
                                lambda: self.clock.now() < last_start)
        self._record(fates, {r.id: r for r in leased}, until)
        self.leases.forget()
        return self._tried(fates)

    def _tried(self, fates: dict[int, Exception | None]) -> int:
        """How many letters reached the relay; none of a batch did: the relay is away, said once."""
        tried = sum(not isinstance(error, NotTried) for error in fates.values())
        if tried:
            self.relay_outage.over(self.clock.now())
        elif fates:
            self.relay_outage.begun(self.clock.now(), next(iter(fates.values())))
        return tried

    def drain(self) -> int:
        total = 0
        while (count := self.dispatch_due()):
            total += count
        return total

    def _lease(self) -> tuple[list[Row], datetime]:
        """One UPDATE ... RETURNING takes the batch: no objects to load, no per-row flush."""
        now = self.clock.now()
        lease = _LEASE_PG if self.store.is_postgresql else _LEASE
        with self.store.transaction() as session:
            rows = session.connection().execute(
                lease, {"now": now, "until": now + LEASE, "batch": self.batch}).all()
        return sorted(rows, key=lambda row: row.id), now + LEASE  # RETURNING keeps no order

    def _note(self, journal: Callable[[int], None], fates: dict[int, Exception | None],
              row_id: int, error: Exception | None) -> None:
        """A letter's fate as soon as the relay gave it: an acceptance is journalled (fsynced, a
        fraction of a millisecond) before the next letter goes out, so a crash now re-sends at most
        the letter in flight; the database takes the whole batch in one commit afterwards."""
        if error is None:
            journal(row_id)
        fates[row_id] = error

    def _record(self, fates: dict[int, Exception | None], leased: dict[int, Row],
                until: datetime) -> None:
        """The batch's fates in one commit (one writer lock on SQLite, not one per letter), then the
        journal forgets them; if the database cannot take them, the journal keeps the acceptances
        for the next pass. The common fate, sent, is one UPDATE for all; the others need the row.
        Letters never begun go back to the outbox, no attempt spent."""
        now = self.clock.now()
        accepted = [row_id for row_id, error in fates.items() if error is None]
        others = {row_id: error for row_id, error in fates.items()
                  if error is not None and not isinstance(error, NotTried)}
        unsent = self._unsent(fates, leased)
        with self.store.transaction() as session:
            if unsent:
                session.connection().execute(_RELEASE, {"ids": unsent, "until": until, "now": now})
            if accepted:
                self._mark_sent(session, accepted, now)
                for row_id in accepted:
                    row = leased[row_id]
                    log.info("outbound %s sent to %s (%s)", row_id, row.recipient, row.template)
            if others:
                rows = session.scalars(select(OutboundMessage)
                                       .where(OutboundMessage.id.in_(list(others))))
                for row in rows:
                    self._apply(session, row, others[row.id], now)
        if accepted:
            self.journal.clear(accepted)

    def _unsent(self, fates: dict[int, Exception | None], leased: dict[int, Row]) -> list[int]:
        """The letters that never left: the relay could not be reached, or the lease ended first."""
        late = [row_id for row_id in leased if row_id not in fates]
        if late:
            log.info("dispatcher: the lease of this batch ends soon; %d letters wait for the next",
                     len(late))
        return late + [row_id for row_id, error in fates.items() if isinstance(error, NotTried)]

    def _mark_sent(self, session, ids: list[int], now: datetime) -> None:
        """A row another dispatcher already took from the shared journal is not counted twice."""
        session.connection().execute(_SENT, {"ids": ids, "now": now})

    def _apply(self, session, row: OutboundMessage, error: Exception, now: datetime) -> None:
        row.attempts += 1
        row.last_error = str(error)[:2000]
        expired = now - row.created_at >= self.lifetime
        if isinstance(error, PermanentFailure) or expired:
            row.state = "failed"
            _mark_bouncing(session, row, now, "refused for good" if not expired else "given up")
            log.warning("outbound %s to %s failed for good: %s", row.id, row.recipient, error)
            return
        row.state, row.next_attempt_at = "pending", now + _backoff(row.attempts)
        if isinstance(error, UnknownFate):
            log.warning("outbound %s to %s: %s; the relay may have it, sending once more with the "
                        "same Message-ID", row.id, row.recipient, error)
        else:
            log.warning("outbound %s to %s: %s (will retry)", row.id, row.recipient, error)

    def _release_orphans(self) -> None:
        """The batches of dispatchers of this home that were killed while they held them (their
        acceptances are already applied from the journal) go out again now, not when their lease
        ends."""
        for ids, until in self.leases.orphans():
            with self.store.transaction() as session:
                released = session.connection().execute(
                    _RELEASE, {"ids": ids, "until": until, "now": self.clock.now()}).rowcount
            if released:
                log.warning("dispatcher: %d letters leased by a dispatcher that ended go out again",
                            released)

    def _apply_journal(self) -> None:
        ids = self.journal.pending()
        if not ids:
            return
        with self.store.transaction() as session:
            self._mark_sent(session, ids, self.clock.now())
        self.journal.clear(ids)
        log.info("dispatcher: %d deliveries from the journal recorded", len(ids))


def _mark_bouncing(session, row: OutboundMessage, now: datetime, how: str) -> None:
    """A participant whose mail the relay will not take is marked like a bounce: nothing more goes
    there, and the coordinators' digest lists the address with the reason."""
    person = session.scalar(select(Person).where(Person.email == row.recipient))
    if person is not None and person.bounced_at is None:
        person.bounced_at, person.bounce_reason = now, f"relay: {how}: {row.last_error}"[:500]


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


_OUTBOX = OutboundMessage.__table__
# built once: per batch only the parameters change, so SQLAlchemy's compiled cache does the rest
_DUE = (select(_OUTBOX.c.id)
        .where(or_(_OUTBOX.c.state == "pending", _OUTBOX.c.state == "sending"),
               _OUTBOX.c.next_attempt_at <= bindparam("now"))
        .order_by(_OUTBOX.c.id).limit(bindparam("batch", type_=Integer)))
_LEASED = (_OUTBOX.c.id, _OUTBOX.c.envelope_from, _OUTBOX.c.recipient, _OUTBOX.c.raw,
           _OUTBOX.c.template)


def _leasing(due) -> Update:
    return (update(_OUTBOX).where(_OUTBOX.c.id.in_(due))
            .values(state="sending", next_attempt_at=bindparam("until")).returning(*_LEASED))


_LEASE = _leasing(_DUE)
# several dispatchers on PostgreSQL: each skips the rows another has locked for its lease
_LEASE_PG = _leasing(_DUE.with_for_update(skip_locked=True))
# a letter never begun is due again at once, unless the lease ran out and another dispatcher has
# leased the row since (then the row is its)
_RELEASE = (update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
                   _OUTBOX.c.state == "sending", _OUTBOX.c.next_attempt_at == bindparam("until"))
            .values(state="pending", next_attempt_at=bindparam("now")))
_SENT = (update(_OUTBOX)
         .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.state != "sent")
         .values(state="sent", sent_at=bindparam("now"), last_error="",
                 attempts=_OUTBOX.c.attempts + 1))
