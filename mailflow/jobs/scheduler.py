"""The scheduler: our own schedule.Scheduler, every job idempotent (a JobRun row per job and key, or
a state column), each wrapped so one failure is logged and does not stop the others. Only one
scheduler works at a time: on PostgreSQL it holds an advisory lock on a connection of its own, on
SQLite an exclusive lock on a file beside the database; `jobs --once` takes the same lock, so it
never runs beside a scheduler."""
from __future__ import annotations

import fcntl
import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

import schedule
from sqlalchemy import text
from sqlalchemy.engine import make_url

from . import closing, digest
from . import meetings as meeting_jobs
from . import reminders as nudges
from .context import JobApp

log = logging.getLogger(__name__)

Job = Callable[[JobApp, datetime], int]

# name -> job; each returns how many things it did. Filled by the flows that need time-driven work.
JOBS: dict[str, Job] = {
    "request_reminders": nudges.remind_requests,
    "approval_reminders": nudges.remind_approvals,
    "inactivity": nudges.nudge_inactive,
    "digest": digest.send_digest,
    "meeting_feedback": meeting_jobs.ask_for_feedback,
    "agreement_deviations": meeting_jobs.check_agreements,
    "closing_silence": closing.closing_silence,
}

LOCK_KEY = 0x6D666A62  # "mfjb": the advisory lock all mailflow schedulers of one database agree on


class SchedulerLock:
    """The right to run jobs, held until released (or the process ends). Never blocks: acquire()
    says whether this process got it."""

    def __init__(self, app: JobApp) -> None:
        self._app = app
        self._connection = None
        self._file = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        if self.held:
            return self._still_alive()
        if self._app.store.is_postgresql:
            return self._acquire_advisory()
        return self._acquire_file()

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "SchedulerLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _acquire_advisory(self) -> bool:
        # Autocommit: the lock belongs to the session, and an idle transaction would be held open
        # for hours.
        connection = (self._app.store.engine.connect()
                      .execution_options(isolation_level="AUTOCOMMIT"))
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                              {"key": LOCK_KEY}).scalar():
            self._connection = connection
            return True
        connection.close()
        return False

    def _acquire_file(self) -> bool:
        database = make_url(self._app.store.url).database
        if not database or database == ":memory:":
            self._file = open("/dev/null", "rb")  # one process owns an in-memory database anyway
            return True
        handle = open(Path(f"{database}.scheduler-lock"), "a+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def _still_alive(self) -> bool:
        """A lost database connection loses the advisory lock with it: then take it anew (or
        not)."""
        if self._connection is None:
            return True
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - the connection is gone, and with it the lock
            log.warning("scheduler: lost the database connection holding the lock")
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001
                pass
            self._connection = None
            return self.acquire()


def run_due(app: JobApp, now: datetime, lock: SchedulerLock | None = None) -> dict[str, int]:
    """Run every job as of now; what one job did is committed even when another fails. Without a
    lock held by the caller, takes the scheduler lock for this one pass; if another scheduler holds
    it, does nothing."""
    if lock is None:
        with SchedulerLock(app) as own:
            if not own.held:
                log.warning("jobs: another scheduler is running; nothing done")
                return {}
            return _run_all(app, now)
    return _run_all(app, now)


def _run_all(app: JobApp, now: datetime) -> dict[str, int]:
    results: dict[str, int] = {}
    for name, job in JOBS.items():
        try:
            results[name] = job(app, now)
        except Exception:  # noqa: BLE001 - one broken job must not stop the rest
            log.exception("job %s failed", name)
            results[name] = -1
    return results


def run_scheduler(app: JobApp, stop: threading.Event, every_seconds: int = 60) -> None:
    """Run due jobs every every_seconds while this process holds the lock; stand by while another
    does."""
    lock = SchedulerLock(app)
    standing_by = False

    def tick() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - a lost database must not end the scheduler
            log.exception("jobs: could not run; trying again at the next tick")

    def work() -> None:
        nonlocal standing_by
        if not lock.acquire():
            if not standing_by:
                log.info("jobs: another scheduler holds the lock; standing by")
            standing_by = True
            return
        standing_by = False
        results = run_due(app, app.clock.now(), lock)
        if any(results.values()):
            log.info("jobs: %s", ", ".join(f"{name} {count}"
                                           for name, count in results.items() if count))

    scheduler = schedule.Scheduler()
    scheduler.every(every_seconds).seconds.do(tick)
    try:
        tick()
        while not stop.is_set():
            scheduler.run_pending()
            stop.wait(1)
    finally:
        lock.release()
