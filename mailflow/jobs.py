"""The scheduler: our own schedule.Scheduler, every job idempotent (a JobRun row per job and key), each wrapped
so one failure is logged and does not stop the others."""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Callable

import schedule

from .app import App

log = logging.getLogger(__name__)

Job = Callable[[App, datetime], int]

# name -> job; each returns how many things it did. Filled by the flows that need time-driven work.
JOBS: dict[str, Job] = {}


def run_due(app: App, now: datetime) -> dict[str, int]:
    """Run every job as of now; what one job did is committed even when another fails."""
    results: dict[str, int] = {}
    for name, job in JOBS.items():
        try:
            results[name] = job(app, now)
        except Exception:  # noqa: BLE001 - one broken job must not stop the rest
            log.exception("job %s failed", name)
            results[name] = -1
    return results


def run_scheduler(app: App, stop: threading.Event, every_seconds: int = 60) -> None:
    scheduler = schedule.Scheduler()
    scheduler.every(every_seconds).seconds.do(lambda: run_due(app, app.clock.now()))
    while not stop.is_set():
        scheduler.run_pending()
        stop.wait(1)
