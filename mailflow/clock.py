"""The one clock of the service: every "now" comes from here, so tests can set time."""
from __future__ import annotations

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


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    return moment.astimezone(timezone.utc)
