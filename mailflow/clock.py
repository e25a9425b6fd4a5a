"""The one clock of the service: every "now" comes from here, so tests can set time."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """The wall clock in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock(Clock):
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _as_utc(moment)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class RunningClock(Clock):
    """A clock that starts at a given moment and then runs at the wall clock's pace: what a
    long-running part (serve, smtp, worker) uses when MAILFLOW_NOW sets the time, so leases and
    back-offs still pass. It runs from since (a wall-clock moment) when given, else from now:
    parts started one after another from the same pair then agree on the time."""

    def __init__(self, start: datetime, since: datetime | None = None) -> None:
        passed = (datetime.now(timezone.utc) - _as_utc(since)).total_seconds() if since else 0.0
        self._start, self._began = _as_utc(start), time.monotonic() - max(0.0, passed)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


def clock_at(moment: datetime | None, *, running: bool, since: datetime | None = None) -> Clock:
    """The process's clock: the wall clock, or (MAILFLOW_NOW) a set moment that one-shot commands
    keep and services run on from (since MAILFLOW_NOW_SINCE, if set). Tests start every process
    this way, so none of them silently reads the wall clock."""
    if moment is None:
        return Clock()
    return RunningClock(moment, since) if running else FixedClock(moment)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    return moment.astimezone(timezone.utc)
