"""SQLite's intake spool: a second database file beside the main one, written by the SMTP receiver
alone and emptied by the workers, so that senders get their 250 at the disk's speed while a worker
holds the main database's one write lock. (Postfix's incoming queue, for the same reason: taking
mail never waits for handling it.)

A spooled message is as durable as a stored one (WAL, synchronous=FULL: on disk before the 250).
A worker moves it into the main database (ingest.unspool) and forgets it only after that commit;
killed in between, the next move finds its dedup key stored already, so nothing is lost and
nothing is stored twice. PostgreSQL needs no spool: its writers do not queue for one lock.
"""
from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from .writer_lock import WriterLock

SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key TEXT NOT NULL UNIQUE,
    message_id TEXT,
    envelope_from TEXT,
    envelope_to TEXT NOT NULL,
    source TEXT NOT NULL,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL
)"""
COLUMNS = ("dedup_key", "message_id", "envelope_from", "envelope_to", "source", "raw",
           "received_at")
INSERT = (f"INSERT INTO spooled ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
          "ON CONFLICT (dedup_key) DO NOTHING RETURNING id")


@dataclass(frozen=True)
class Spooled:
    """A spooled message: its spool id and the columns of its inbound row to be."""
    id: int
    row: dict


class Spool:
    """The spool file of one SQLite database; one connection per thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._writer = WriterLock(path)
        self._mover = open(f"{path}.mover", "a+b")
        self._moving = threading.Lock()
        with self._writer:
            self._connection().execute(SCHEMA)

    def add_all(self, rows: list[dict]) -> list[int | None]:
        """Spool rows in one transaction (one fsync); each one's spool id, or None when the same
        message waits in the spool already."""
        values = [tuple(_stored(row)[name] for name in COLUMNS) for row in rows]
        with self._transaction() as db:
            return [(db.execute(INSERT, value).fetchone() or (None,))[0] for value in values]

    def waiting(self, limit: int) -> list[Spooled]:
        """The oldest spooled messages, up to limit (a read: never waits for the receiver)."""
        found = self._connection().execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM spooled ORDER BY id LIMIT ?", (limit,))
        return [Spooled(values[0], _loaded(dict(zip(COLUMNS, values[1:])))) for values in found]

    def forget(self, ids: list[int]) -> None:
        """Drop moved messages (after the main database committed them)."""
        with self._transaction() as db:
            db.executemany("DELETE FROM spooled WHERE id = ?", [(spool_id,) for spool_id in ids])

    def summary(self, stale_before: datetime) -> tuple[int, datetime | None, int]:
        """How many messages wait in the spool, since when, and how many since before
        stale_before (for `status`)."""
        count, oldest, stale = self._connection().execute(
            "SELECT count(*), min(received_at), coalesce(sum(received_at < ?), 0) FROM spooled",
            (stale_before.isoformat(),)).fetchone()
        return count, datetime.fromisoformat(oldest) if oldest else None, stale

    def close(self) -> None:
        self._mover.close()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()

    @contextmanager
    def moving(self) -> Iterator[bool]:
        """Whether this caller is the one mover now: workers of all processes and threads move in
        turn (a non-blocking flock, and a lock for this process's threads, which share the flock's
        file), so two never move the same message and take the second copy for a duplicate."""
        if not self._moving.acquire(blocking=False):
            yield False
            return
        try:
            fcntl.flock(self._mover, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._moving.release()
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(self._mover, fcntl.LOCK_UN)
            self._moving.release()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._writer:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # on disk before the 250, as in the main store
            self._local.db = db
        return db


def _stored(row: dict) -> dict:
    return {**row, "envelope_to": json.dumps(list(row["envelope_to"])),
            "received_at": row["received_at"].isoformat()}


def _loaded(row: dict) -> dict:
    return {**row, "envelope_to": json.loads(row["envelope_to"]),
            "received_at": datetime.fromisoformat(row["received_at"])}
