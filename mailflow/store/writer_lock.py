"""The queue for one SQLite database's one writer, across the threads and processes of one host."""
from __future__ import annotations

import fcntl
import threading


class WriterLock:
    """The queue for SQLite's one writer: threads of this process wait on a lock, processes (serve
    and its workers) on an flock of a file beside the database, which the kernel hands on the
    moment it is released; SQLite's busy handler would poll with growing sleeps instead, and a
    worker that writes again at once would starve the SMTP receiver. A writer waiting holds a
    shared flock on a second file, so the one writing can see that someone waits (and yield)."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = database if database and database != ":memory:" else None
        self._lock = self._waiting = self._probe = None

    def __enter__(self) -> None:
        if self._path is not None and self._lock is None:
            self._lock = open(f"{self._path}.writer", "a+b")
            self._waiting = open(f"{self._path}.waiting", "a+b")
            self._probe = open(f"{self._path}.waiting", "a+b")
        if self._waiting is not None:
            fcntl.flock(self._waiting, fcntl.LOCK_SH)
        self._threads.acquire()
        try:
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_EX)
                fcntl.flock(self._waiting, fcntl.LOCK_UN)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc) -> None:
        try:
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def others_waiting(self) -> bool:
        """Whether another writer (of any process on this host) waits for the lock; a hint."""
        if self._probe is None:
            return False
        try:
            fcntl.flock(self._probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._probe, fcntl.LOCK_UN)
        return False
