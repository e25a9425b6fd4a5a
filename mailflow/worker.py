"""Processing stored mail: claim due messages, have each handled (handling.py decides what becomes
of it), and commit the state changes, the outgoing mails and the done-marks of a batch in one
transaction. A failing message is set aside; it never blocks the others."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .clock import Clock
from .config import Settings
from .handling import Handling, Turn
from .ingest import unspool
from .outcomes import Outcome
from .outgoing.compose import Composer
from .parsers.mime import ParsedMail, parse_mail
from .store import inbox
from .store.models import InboundMessage
from .store.outage import Outage
from .store.session import Store
from .tokens import TokenSigner

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# a worker's batch: this many messages at most, and no more once it has run this long (the other
# writers wait meanwhile: the dispatcher on SQLite's one write lock, other workers on mentorships);
# at 50 ms a backlog went in batches of five to ten, each paying its look for due mail, its claim
# and its commit (bench/pipeline.py: 115 -> 141 answers/s on SQLite with 200 ms)
BATCH = 20
BATCH_SECONDS = 0.2


@dataclass
class Worker:
    store: Store
    settings: Settings
    clock: Clock
    signer: TokenSigner
    composer: Composer
    after_commit: Callable[[], object] = lambda: None  # e.g. wake the dispatcher
    documents: object = None  # outgoing.certificates.DocumentRenderer, shared by all its flows
    # per worker thread: the due mails parsed outside the write lock, by row id (SQLite)
    _parsed: threading.local = field(default_factory=threading.local, repr=False)
    batch: int = BATCH
    batch_seconds: float | None = None  # None: BATCH_SECONDS
    handling: Handling = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.handling = Handling(self.settings, self.clock, self.signer, self.composer,
                                 self.documents)

    def run(self, stop: threading.Event, wake: threading.Event, idle_seconds: float = 1.0) -> None:
        """Work until stop is set; sleep when there is nothing to do until new mail wakes us (or
        a timeout)."""
        outage = Outage("worker", log)
        log.info("worker ready")
        while not stop.is_set():
            try:
                busy = self.process_batch() is not None
                outage.over(self.clock.now())
            except OperationalError as exc:
                # the database is away: one line now, one when it is back
                stop.wait(outage.begun(self.clock.now(), exc))
                continue
            except Exception:  # noqa: BLE001 - nothing may end the worker
                log.exception("worker: could not process; trying again shortly")
                busy = False
                stop.wait(idle_seconds)
            if not busy:
                wake.wait(idle_seconds)
                wake.clear()

    def drain(self) -> int:
        """Process everything that is due now; returns how many messages were handled."""
        count = 0
        while (handled := self.process_batch()) is not None:
            count += handled
        return count

    def process_batch(self) -> int | None:
        """Claim due messages and handle them in one transaction, so a batch shares one commit
        (one fsync). A message that fails rolls the batch back, and the batch is handled again
        with each message in a savepoint of its own, so the failing one is set aside alone: two
        statements per mail are saved for a rare failure's cost of one batch. A batch ends after
        BATCH messages, after BATCH_SECONDS (so the other writers, such as the dispatcher on
        SQLite's one write lock, wait no longer than that), and after a message that locked a
        mentorship for its decision (held no longer than for one message). It does not
        end early for a writer that waits: the dispatcher, woken by each commit, would cut every
        batch to a message or two. A batch that cannot commit is handled again one message per
        transaction. Returns how many were handled, or None when nothing was due."""
        unspool(self.store)  # SQLite: the mail the receiver spooled becomes due here
        parsed = None
        if not self.store.is_postgresql:  # parse before taking the one write lock
            parsed = self._parsed_due()
            if not parsed:
                return None
        try:
            handled = self._batch(parsed, self.batch)
        except OperationalError:
            raise  # the database is away: the run loop waits for it
        except Exception as exc:  # noqa: BLE001 - a message failed, or the commit did
            log.info("%s; the batch is handled again, each message in a savepoint of its own", exc)
            handled = self._contained(parsed)
        if handled is None:
            return None
        self.after_commit()
        return handled

    def _contained(self, parsed: dict[int, ParsedMail | None] | None) -> int | None:
        """The batch again, each message in a savepoint, so a failing one is set aside alone; if
        even that cannot commit, one message per transaction."""
        try:
            return self._batch(parsed, self.batch, contained=True)
        except OperationalError:
            raise  # the database is away: the run loop waits for it
        except Exception:  # noqa: BLE001 - e.g. a commit the batch broke: one by one instead
            log.exception("a batch of inbound mail could not commit; handling it one by one")
        handled = 0
        for _ in range(self.batch):
            if not self._batch(parsed, 1, contained=True):
                break
            handled += 1
        return handled

    def _batch(self, parsed: dict[int, ParsedMail | None] | None, limit: int,
               contained: bool = False) -> int | None:
        """One transaction for up to limit messages. Not contained (the common case), a message
        has no savepoint of its own (on PostgreSQL two statements less per mail) and a failure
        ends the whole batch, uncommitted, to be handled again contained."""
        began = time.monotonic()
        budget = self.batch_seconds or BATCH_SECONDS
        with self.store.transaction() as session:
            rows = self._claim(session, list(parsed) if parsed is not None else None, limit)
            if not rows:
                return 0 if parsed is not None else None  # another worker took what we parsed
            handled, marks = 0, []
            for row in rows:
                locked = self._process(session, row, (parsed or {}).get(row.id),
                                       rows[handled + 1:], marks, contained)
                handled += 1
                if locked or time.monotonic() - began > budget:
                    break
            for row in rows[handled:]:
                session.expunge(row)  # not this batch's: left as it was, for the next
            session.connection().execute(inbox.MARK, marks)  # one UPDATE, not one flush each
        for mark in marks:  # said once committed: a batch handled again is not logged twice
            log.info("inbound %s %s: %s", mark["row_id"], mark["new_state"], mark["new_outcome"])
        if parsed is not None:
            for row in rows[:handled]:
                parsed.pop(row.id, None)
        return handled

    def _process(self, session: Session, row: InboundMessage, mail: ParsedMail | None,
                 waiting: list[InboundMessage], marks: list[dict], contained: bool) -> bool:
        """Handle one claimed message (contained: in its savepoint) and add its mark to marks
        (written once for the batch); whether its flow locked a mentorship for its decision."""
        turn = Turn()
        try:
            with session.begin_nested() if contained else nullcontext():
                outcome = self.handling(session, row, mail, turn)
        except Exception as exc:  # noqa: BLE001 - any bug in a flow is contained to its message
            if not contained:
                raise _Uncontained(f"inbound {row.id} failed in a batch") from exc
            outcome = self._failed(row, exc)
        marks.append({"row_id": row.id, "new_state": outcome.state,
                      "new_outcome": outcome.note[:2000], "done_at": self.clock.now()})
        if self.store.is_postgresql and waiting:
            # the next message reads what others committed meanwhile, as in a transaction of its own
            session.flush()
            for loaded in set(session.identity_map.values()) - set(waiting):
                session.expire(loaded)
        return turn.locked

    def _parsed_due(self) -> dict[int, ParsedMail | None]:
        """The next due messages, parsed, by id; what an earlier look parsed is not parsed again
        (a batch that ended early leaves the rest for the next)."""
        known = getattr(self._parsed, "mails", {})
        with self.store.reading() as session:
            connection = session.connection()
            ids = list(connection.execute(inbox.DUE_IDS, {"now": self.clock.now(),
                                                          "limit": self.batch}).scalars())
            new = [row_id for row_id in ids if row_id not in known]
            raws = dict(connection.execute(inbox.RAWS, {"ids": new}).all()) if new else {}
        self._parsed.mails = {row_id: known[row_id] if row_id in known
                              else _parse_quietly(raws[row_id]) for row_id in ids}
        return self._parsed.mails

    def _claim(self, session: Session, wanted: list[int] | None,
               limit: int) -> list[InboundMessage]:
        now = self.clock.now()
        if wanted is not None:
            return list(session.scalars(inbox.CLAIM_WANTED, {"now": now, "ids": wanted[:limit]}))
        return list(session.scalars(inbox.CLAIM_NEXT, {"now": now, "limit": limit}))

    def _failed(self, row: InboundMessage, exc: Exception) -> Outcome:
        row.attempts += 1
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        log.error("inbound %s failed (attempt %d): %s", row.id, row.attempts, row.error,
                  exc_info=exc)
        if row.attempts >= MAX_ATTEMPTS:
            return Outcome("failed", f"gave up after {row.attempts} attempts")
        row.not_before = self.clock.now() + timedelta(seconds=30 * 2 ** row.attempts)
        return Outcome("new", f"will retry: {row.error}")

class _Uncontained(Exception):
    """A message failed in a batch without savepoints: the batch is rolled back and done again."""


def _parse_quietly(raw: bytes) -> ParsedMail | None:
    """parse_mail never raises by design; should it ever, the message is parsed again where
    failures are caught."""
    try:
        return parse_mail(raw)
    except Exception:  # noqa: BLE001
        return None


