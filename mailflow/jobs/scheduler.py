"""The scheduler: our own schedule.Scheduler, every job idempotent (a JobRun row per job and key, or
a state column), each wrapped so one failure is logged and does not stop the others. One pass of the
jobs runs at a time: it holds a lock while it runs (on PostgreSQL an advisory lock on a connection
of its own, on SQLite an exclusive lock on a file beside the database), so `jobs --once` waits for a
running pass of `serve` and then runs its own."""
from __future__ import annotations

import fcntl
import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import schedule
from sqlalchemy import text
from sqlalchemy.engine import make_url

from . import closing, digest, meetings, publishing, pulse, reminders, requests, stalled
from .context import JobApp

log = logging.getLogger(__name__)

Job = Callable[[JobApp, datetime], int]

# name -> job; each returns how many things it did. Filled by the flows that need time-driven work.
JOBS: dict[str, Job] = {
    "request_expiry": requests.expire_requests,  # first: a withdrawn request is reminded no more
    "request_reminders": reminders.remind_requests,
    "approval_reminders": reminders.remind_approvals,
    "inactivity": reminders.nudge_inactive,
    "digest": digest.send_digest,
    "meeting_feedback": meetings.ask_for_feedback,
    "agreement_deviations": meetings.check_agreements,
    "closing_silence": closing.closing_silence,
    "pulse": pulse.ask_pulse,
    "stalled_closing": stalled.close_stalled,
    "published_credentials": publishing.publish_credentials,
}

LOCK_KEY = 0x6D666A62  # "mfjb": the advisory lock all mailflow schedulers of one database agree on
POLL_SECONDS = 0.25  # how often a waiting pass looks whether the running one has ended


class SchedulerBusy(RuntimeError):
    """Another pass held the scheduler lock for longer than we would wait."""


class SchedulerLock:
    """The right to run one pass of the due jobs, taken for the pass and released right after: a
    running scheduler keeps `jobs --once` (or another host's scheduler) out for one pass, never for
    its whole life."""

    def __init__(self, app: JobApp) -> None:
        self._app = app
        self._connection = None
        self._file = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock, waiting up to wait seconds for whoever holds it; whether we got it."""
        deadline = time.monotonic() + wait
        while not self._try():
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            except Exception:  # noqa: BLE001 - a lost connection has lost the lock with it
                log.warning("jobs: the connection holding the scheduler lock was lost")
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def _try(self) -> bool:
        if self.held:
            return True
        if self._app.store.is_postgresql:
            return self._try_advisory()
        return self._try_file()

    def _try_advisory(self) -> bool:
        # Autocommit: the lock belongs to the session; no transaction stays open while jobs run.
        engine = self._app.store.engine
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        query = text("SELECT pg_try_advisory_lock(:key)")
        if connection.execute(query, {"key": LOCK_KEY}).scalar():
            self._connection = connection
            return True
        connection.close()
        return False

    def _try_file(self) -> bool:
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


def run_due(app: JobApp, now: datetime, wait: float = 0.0) -> dict[str, int]:
    """One pass: every job as of now, under the scheduler lock, waiting up to wait seconds for a
    pass that is running; jobs are idempotent, so a pass right after another sends nothing twice.
    What one job did is committed even when another fails. SchedulerBusy: the lock stayed taken."""
    lock = SchedulerLock(app)
    if not lock.acquire(wait):
        raise SchedulerBusy(f"another pass of the jobs held the lock for over {wait:g} s")
    try:
        return _run_all(app, now)
    finally:
        lock.release()


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
    """A pass of the due jobs every every_seconds until stop is set. A tick that finds another pass
    running (another host's scheduler, a `jobs --once`) leaves the work to it."""

    def tick() -> None:
        try:
            results = run_due(app, app.clock.now())
        except SchedulerBusy:
            log.debug("jobs: another pass is running; leaving this tick to it")
            return
        except Exception:  # noqa: BLE001 - a lost database must not end the scheduler
            log.exception("jobs: could not run; trying again at the next tick")
            return
        if any(results.values()):
            done = (f"{name} {count}" for name, count in results.items() if count)
            log.info("jobs: %s", ", ".join(done))

    scheduler = schedule.Scheduler()
    scheduler.every(every_seconds).seconds.do(tick)
    tick()
    while not stop.is_set():
        scheduler.run_pending()
        stop.wait(1)
