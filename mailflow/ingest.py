"""The one front door: raw bytes from SMTP or IMAP become a durable, deduplicated inbound row. On
SQLite, mail taken by SMTP goes to the spool first (store/spool.py) and a worker moves it into the
store (unspool), so senders never wait for the main database's one writer."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .clock import Clock
from .store.models import InboundMessage
from .store.session import Store

log = logging.getLogger(__name__)
# messages moved from the spool into the store per transaction (a worker's batch takes 20)
UNSPOOL_LIMIT = 200


@dataclass(frozen=True)
class Envelope:
    """What the transport knew besides the bytes: the envelope sender and our recipients."""

    # "" is the null sender of bounces; None when the transport did not say (IMAP)
    mail_from: str | None
    rcpt_tos: tuple[str, ...]
    source: str


class Ingest:
    """Stores each received message once; the caller says "yes" to the sender only after this
    returns."""

    def __init__(self, store: Store, clock: Clock, on_stored=None) -> None:
        self._store = store
        self._clock = clock
        self._on_stored = on_stored or (lambda: None)

    def __call__(self, raw: bytes, envelope: Envelope) -> int | None:
        """The new row's id, or None when the same message was stored before. Raises when it cannot
        store."""
        [result] = self.store_all([(raw, envelope)], fall_back=False, spooled=False)
        if isinstance(result, Exception):
            raise result
        return result

    def store_all(self, messages: list[tuple[bytes, Envelope]], *, fall_back: bool = True,
                  spooled: bool = True) -> list[int | None | Exception]:
        """Group commit: every message in one transaction, so concurrent senders share one commit
        (one fsync) instead of queueing for one each; into the spool when the store has one (and
        spooled is set). Each gets its id (in the spool, or in the store), None (stored before) or
        the exception that kept it from being stored; a group that cannot commit is stored again
        one by one, so one bad message costs only its own sender a 451."""
        spool = self._store.spool if spooled else None
        try:
            rows = [self._row(raw, envelope) for raw, envelope in messages]
            results = spool.add_all(rows) if spool else _store_rows(self._store, rows)
        except Exception as exc:  # noqa: BLE001 - told to each sender, or retried one by one
            if not fall_back or len(messages) == 1:
                return [exc] * len(messages)
            log.warning("a group of %d messages could not be stored together (%s); storing them "
                        "one by one", len(messages), exc)
            return [result for message in messages
                    for result in self.store_all([message], fall_back=False, spooled=spooled)]
        for row, new_id in zip(rows, results):
            _log_stored(row, new_id, "spooled" if spool else "inbound")
        if any(new_id is not None for new_id in results):
            self._on_stored()
        return results

    def _row(self, raw: bytes, envelope: Envelope) -> dict:
        message_id, sender = _identity(raw)
        now = self._clock.now()
        return dict(
            dedup_key=dedup_key(raw, message_id, sender), message_id=message_id,
            envelope_from=envelope.mail_from, envelope_to=list(envelope.rcpt_tos),
            source=envelope.source, raw=raw, received_at=now, not_before=now, state="new",
        )


def unspool(store: Store, limit: int = UNSPOOL_LIMIT) -> int:
    """Move the oldest spooled mail into the store in one transaction, then forget it in the spool
    (killed in between, the next move finds it stored: a duplicate, dropped). One mover at a time;
    returns how many messages became inbound rows."""
    spool = store.spool
    if spool is None:
        return 0
    with spool.moving() as mover:
        waiting = spool.waiting(limit) if mover else []
        if not waiting:
            return 0
        rows = [{**item.row, "not_before": item.row["received_at"], "state": "new"}
                for item in waiting]
        new_ids = _store_rows(store, rows)
        spool.forget([item.id for item in waiting])
    for item, row, new_id in zip(waiting, rows, new_ids):
        if new_id is not None:
            log.info("inbound %s is spooled %s", new_id, item.id)
        else:
            _log_stored(row, None, "inbound")
    return sum(new_id is not None for new_id in new_ids)


def _store_rows(store: Store, rows: list[dict]) -> list[int | None]:
    """Each row's new id, or None for a row stored before (its dedup_key taken, earlier or by a
    row before it here): one INSERT for all of them, ON CONFLICT DO NOTHING, which returns the
    rows it took with their keys. Workers in other processes hear of it at the commit: on
    PostgreSQL the table's trigger says NOTIFY (migration 0009), with no round trip of its own."""
    if not rows:
        return []
    with store.transaction() as session:
        taken = session.connection().execute(_INSERT_ONCE[store.is_postgresql], rows)
        new_ids = {key: new_id for new_id, key in taken}
    return [new_ids.pop(row["dedup_key"], None) for row in rows]


def _log_stored(row: dict, new_id: int | None, where: str) -> None:
    if new_id is None:
        log.info("duplicate message %s from %s: stored once already", row["message_id"],
                 _sender(row["envelope_from"]))
        return
    log.info("%s %s received by %s from %s for %s (%d bytes, %s)", where, new_id, row["source"],
             _sender(row["envelope_from"]), ", ".join(row["envelope_to"]), len(row["raw"]),
             row["message_id"] or "no Message-ID")


def _sender(mail_from: str | None) -> str:
    return "<>" if mail_from == "" else mail_from or "(no envelope)"


def _insert_once(dialect_insert):
    return (dialect_insert(InboundMessage).on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(InboundMessage.id, InboundMessage.dedup_key))


# built once: SQLAlchemy then compiles it once and caches the result (by is_postgresql)
_INSERT_ONCE = {False: _insert_once(sqlite.insert), True: _insert_once(postgresql.insert)}


def _identity(raw: bytes) -> tuple[str | None, str]:
    """Message-ID and From address from the headers alone (cheap, and never fails on broken
    bodies)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        message_id = str(headers.get("Message-ID", "") or "").strip() or None
        sender = parseaddr(str(headers.get("From", "") or ""))[1].lower()
    except Exception:  # noqa: BLE001 - any header garbage just means "no identity"
        return None, ""
    return (message_id[:998] if message_id else None), sender


def dedup_key(raw: bytes, message_id: str | None, sender: str) -> str:
    """Same Message-ID from the same sender is the same message; without a Message-ID, the same
    bytes are."""
    if message_id:
        material = (b"mid\0" + message_id.encode("utf-8", "replace")
                    + b"\0" + sender.encode("utf-8", "replace"))
    else:
        material = b"raw\0" + raw
    return hashlib.sha256(material).hexdigest()


def envelope_from_headers(raw: bytes, domain: str, source: str) -> Envelope:
    """For mail fetched by IMAP, which has no SMTP envelope: our recipients from the delivery
    headers (the MTA's Delivered-To / X-Original-To first, then To and Cc) and the sender from
    Return-Path."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    ours: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        for _, address in getaddresses([str(v) for v in headers.get_all(name, [])]):
            address = address.lower()
            if address.endswith("@" + domain) and address not in ours:
                ours.append(address)
    return_path = headers.get("Return-Path")
    mail_from = parseaddr(str(return_path))[1] if return_path is not None else None
    return Envelope(mail_from, tuple(ours), source)


def retry_failed(store: Store, clock: Clock, ids: tuple[int, ...] = ()) -> list[int]:
    """Put mail that was set aside after MAX_ATTEMPTS back in the queue (all of it, or the ids
    given), e.g. once the bug that failed it is fixed; its last error stays on the row until it
    is processed again."""
    with store.transaction() as session:
        query = select(InboundMessage).where(InboundMessage.state == "failed")
        if ids:
            query = query.where(InboundMessage.id.in_(ids))
        rows = list(session.scalars(query.order_by(InboundMessage.id)))
        for row in rows:
            row.state, row.attempts, row.not_before = "new", 0, clock.now()
            row.outcome = "put back in the queue by the operator"
        return [row.id for row in rows]
