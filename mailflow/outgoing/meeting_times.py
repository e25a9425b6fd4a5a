"""A meeting's time as our mails name it: in the reader's time zone first, and in the other
participant's zone too when the clocks there show another time ("15:00–16:00 Uhr Berlin /
09:00–10:00 Uhr New York"). Templates say it with one filter, ``{{ when | meeting_time(lang) }}``,
so every mail that names a meeting time, and every new one, says it the same way."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class MeetingTime:
    """When a meeting is, and whose zones to show it in: zones[0] is the reader's, the rest those
    of the other participants (IANA names)."""

    start: datetime
    end: datetime
    zones: tuple[str, ...]

    def __str__(self) -> str:
        # printed without the filter it would name no zone and no language: fail the template
        # (tests/test_templates.py renders them all) instead of mailing a repr
        raise TypeError("a MeetingTime is shown with {{ when | meeting_time(lang) }}")


def meeting_time(when: MeetingTime, language: str) -> str:
    """The time in each zone whose wall clock differs from the ones before it; another zone's date
    is named only where it is another day than the reader's."""
    reader_zone, *others = when.zones
    first = _local(when, reader_zone)
    shown = [first]
    for zone in others:
        local = _local(when, zone)
        if all(local.clock != earlier.clock for earlier in shown):
            shown.append(local)
    parts = [_say(local, language, with_day=index == 0 or local.day != first.day)
             for index, local in enumerate(shown)]
    return " / ".join(parts)


def zone_label(tzid: str) -> str:
    """The place a reader knows the zone by: "America/New_York" is "New York"."""
    return tzid.rsplit("/", 1)[-1].replace("_", " ")


class _Local(NamedTuple):
    """The meeting on one zone's wall clock."""

    start: datetime
    end: datetime
    tzid: str

    @property
    def clock(self) -> tuple[datetime, datetime]:
        return self.start.replace(tzinfo=None), self.end.replace(tzinfo=None)

    @property
    def day(self) -> date:
        return self.start.date()


def _local(when: MeetingTime, tzid: str) -> _Local:
    zone = ZoneInfo(tzid)
    return _Local(when.start.astimezone(zone), when.end.astimezone(zone), tzid)


def _say(local: _Local, language: str, *, with_day: bool) -> str:
    start, end, tzid = local
    hours = f"{start:%H:%M}–{end:%H:%M}{' Uhr' if language == 'de' else ''} {zone_label(tzid)}"
    if not with_day:
        return hours
    day = (f"{start.day}.{start.month}.{start.year}" if language == "de"
           else start.date().isoformat())
    return f"{day}, {hours}"
