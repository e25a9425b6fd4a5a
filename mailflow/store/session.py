"""One engine factory for SQLite (embedded default) and PostgreSQL (scale-out),
and the transaction boundary."""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .writer_lock import WriterLock

if TYPE_CHECKING:
    from .spool import Spool


def make_engine(url: str) -> Engine:
    """An engine with the settings each database needs to be safe under concurrent writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take over transaction control from the driver so BEGIN IMMEDIATE below is what runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk when it returns (NORMAL loses the last commits on power loss),
        # which is what our 250 promises; group commit and batched workers keep the fsyncs few
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Writers queue on the lock at BEGIN instead of failing when a read turns into a write;
        # readers (Store.reading) take no lock at all in WAL mode.
        reading = connection.get_execution_options().get("mailflow_read_only")
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


class Store:
    """The database as the rest of the code sees it: a place to open transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(mailflow_read_only=True),
                                     expire_on_commit=False)
        # SQLite has one writer at a time. Writers queue here, handing the lock straight on; left
        # to SQLite's busy handler they would poll with sleeps of up to 100 ms and starve each other
        self._writer = (WriterLock(self.engine.url.database)
                        if self.engine.dialect.name == "sqlite" else nullcontext())

    @cached_property
    def spool(self) -> "Spool | None":
        """The intake spool beside an SQLite database file (store/spool.py); None on PostgreSQL
        and in memory, where the receiver writes the main store directly."""
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        from .spool import Spool  # imported when first used: PostgreSQL has none
        return Spool(f"{database}.spool")

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit what the block did, or roll all of it back if the block raises."""
        with self._writer, self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only look that never waits for (or blocks) a writer; it must not write."""
        with self._readers.begin() as session:
            yield session
            session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.__dict__.get("spool") is not None:
            self.spool.close()
