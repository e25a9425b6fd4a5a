"""The queue for one SQLite database's one writer, across the threads and processes of one host."""
from __future__ import annotations

import fcntl
import threading


class WriterLock:
    """The queue for SQLite's one writer: threads of this process wait on a lock, processes (serve
    and its workers) on an flock of a file beside the database, which the kernel hands on the
    moment it is released; SQLite's busy handler would poll with growing sleeps instead (of up to
    100 ms), and writers would starve each other."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = database if database and database != ":memory:" else None
        self._lock = None

    def __enter__(self) -> None:
        if self._path is not None and self._lock is None:
            self._lock = open(f"{self._path}.writer", "a+b")
        self._threads.acquire()
        try:
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc) -> None:
        try:
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
        finally:
            self._threads.release()
