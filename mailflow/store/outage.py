"""An outage of the database (or of the relay) as the log should tell it: one line when it
starts, one when it ends with its length, not a traceback per poll; and a growing pause between
tries so a long outage costs nothing."""
from __future__ import annotations

import logging
from datetime import datetime

MAX_PAUSE = 30.0


class Outage:
    def __init__(self, part: str, log: logging.Logger, what: str = "database") -> None:
        self.part, self.log, self.what = part, log, what
        self.since: datetime | None = None
        self.pause = 0.5

    def begun(self, now: datetime, exc: Exception) -> float:
        """Note a failed try; returns how long to wait before the next."""
        if self.since is None:
            self.since = now
            self.log.error("%s: %s unreachable (%s); retrying quietly", self.part, self.what,
                           str(exc).splitlines()[0][:200])
        else:
            self.pause = min(self.pause * 2, MAX_PAUSE)
        return self.pause

    def over(self, now: datetime) -> None:
        if self.since is not None:
            seconds = (now - self.since).total_seconds()
            self.log.warning("%s: %s back after %.0f s", self.part, self.what, seconds)
            self.since, self.pause = None, 0.5
