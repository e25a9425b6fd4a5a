"""VTIMEZONE components in the form every calendar client reads.

RFC 5545 lets a VTIMEZONE list its transitions as RDATEs, and that is what ``icalendar`` builds from
zoneinfo. Outlook for Windows ignores RDATE in a VTIMEZONE and shows a summer meeting an hour off;
Outlook, Google and Apple themselves send one STANDARD and one DAYLIGHT observance, each with a
yearly RRULE from 1970 on. We build that form from the rule tzdata states for the zone's future: the
POSIX TZ string at the end of its TZif file (``CET-1CEST,M3.5.0,M10.5.0/3``). A zone whose rule
cannot be said as such an RRULE (a transition at hour 26 or -1), or whose rule does not give the
offset zoneinfo gives at the meeting's times (a zone that changes its rules, Morocco's Ramadan
shifts), gets icalendar's RDATE form instead: correct everywhere but Outlook rather than wrong
anywhere."""
from __future__ import annotations

import calendar
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_NAME = r"(<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"([+-]?\d{1,3}(?::\d{1,2}){0,2})"
_RULE = r"M(\d{1,2})\.([1-5])\.([0-6])(?:/" + _OFFSET + r")?"
_POSIX = re.compile(rf"^{_NAME}{_OFFSET}(?:{_NAME}{_OFFSET}?,{_RULE},{_RULE})?$")
_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX numbers days from Sunday = 0
_FIRST_YEAR = 1970


@dataclass(frozen=True)
class _Change:
    """One yearly transition: on the week-th weekday of month (week 5: the last), at the wall-clock
    time given in the offset in force before it."""

    month: int
    week: int
    weekday: int  # POSIX: 0 = Sunday
    at: timedelta

    def local(self, year: int) -> datetime:
        days = [d for d in calendar.Calendar().itermonthdates(year, self.month)
                if d.month == self.month and (d.weekday() + 1) % 7 == self.weekday]
        day = days[-1] if self.week == 5 else days[self.week - 1]
        return datetime.combine(day, datetime.min.time()) + self.at

    def rrule(self) -> dict:
        return {"freq": "yearly", "bymonth": self.month,
                "byday": f"{-1 if self.week == 5 else self.week}{_WEEKDAYS[self.weekday]}"}


@dataclass(frozen=True)
class _Rules:
    """The zone's rule from now on: standard time, and daylight time between two yearly changes (if
    any)."""

    standard_name: str
    standard: timedelta  # offset from UTC, east positive
    daylight_name: str = ""
    daylight: timedelta | None = None
    begins: _Change | None = None  # standard -> daylight
    ends: _Change | None = None    # daylight -> standard

    def offset_at(self, wall: datetime) -> timedelta:
        """The UTC offset at a local wall-clock time (naive)."""
        if self.begins is None:
            return self.standard
        begins, ends = self.begins.local(wall.year), self.ends.local(wall.year)
        inside = begins <= wall < ends if begins < ends else (wall >= begins or wall < ends)
        return self.daylight if inside else self.standard


def vtimezone(tzid: str, moments: list[datetime]) -> Timezone:
    """The VTIMEZONE for tzid, right at every one of moments (aware datetimes in that zone; at least
    one)."""
    rules = _rules(tzid)
    if rules is not None and all(rules.offset_at(m.replace(tzinfo=None)) == m.utcoffset()
                                 for m in moments):
        return _yearly(tzid, rules)
    years = [m.year for m in moments]
    return Timezone.from_tzid(tzid, first_date=date(min(years), 1, 1),
                              last_date=date(max(years) + 2, 1, 1))


def _yearly(tzid: str, rules: _Rules) -> Timezone:
    zone = Timezone()
    zone.add("tzid", tzid)
    if rules.begins is None:
        zone.add_component(_observance(TimezoneStandard, datetime(_FIRST_YEAR, 1, 1),
                                       rules.standard, rules.standard, rules.standard_name, None))
        return zone
    # The observance with the larger offset is the DAYLIGHT one, also where tzdata calls winter the
    # exception (Europe/Dublin: IST in summer is "standard", GMT in winter "daylight" with a
    # negative saving).
    summer_first = rules.daylight > rules.standard
    into = (TimezoneDaylight if summer_first else TimezoneStandard, rules.begins, rules.standard,
            rules.daylight, rules.daylight_name)
    back = (TimezoneStandard if summer_first else TimezoneDaylight, rules.ends, rules.daylight,
            rules.standard, rules.standard_name)
    for kind, change, before, after, name in (into, back):
        zone.add_component(_observance(kind, change.local(_FIRST_YEAR), before, after, name,
                                       change.rrule()))
    return zone


def _observance(kind, start: datetime, before: timedelta, after: timedelta, name: str,
                rrule: dict | None):
    observance = kind()
    observance.add("dtstart", start)
    if rrule is not None:
        observance.add("rrule", rrule)
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", after)
    observance.add("tzname", name)
    return observance


@lru_cache(maxsize=64)
def _rules(tzid: str) -> _Rules | None:
    """The rule in the TZif footer, if it is one a yearly RRULE can say (read once per zone, as
    zoneinfo does)."""
    footer = _posix_string(tzid)
    match = _POSIX.match(footer or "")
    if match is None:
        return None
    std_name, std_offset, dst_name, dst_offset = match.group(1, 2, 3, 4)
    standard = -_duration(std_offset)  # POSIX counts west of Greenwich as positive
    if dst_name is None:
        return _Rules(_bare(std_name), standard)
    daylight = -_duration(dst_offset) if dst_offset else standard + timedelta(hours=1)
    begins, ends = _change(match.group(5, 6, 7, 8)), _change(match.group(9, 10, 11, 12))
    if begins is None or ends is None:
        return None
    return _Rules(_bare(std_name), standard, _bare(dst_name), daylight, begins, ends)


def _change(groups) -> _Change | None:
    month, week, weekday, at = groups
    time = _duration(at) if at else timedelta(hours=2)
    if not timedelta(0) <= time < timedelta(days=1):
        return None  # "M3.4.4/26" (the Friday after the fourth Thursday) is no BYDAY rule
    return _Change(int(month), int(week), int(weekday), time)


def _duration(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


def _bare(name: str) -> str:
    return name.strip("<>")


def _posix_string(tzid: str) -> str | None:
    """The last line of the zone's TZif (version 2 and later) file, where zoneinfo itself would look
    for it."""
    data = _tzif(tzid)
    if not data or not data.startswith(b"TZif") or data[4:5] < b"2":
        return None
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", "replace")


def _tzif(tzid: str) -> bytes | None:
    if not tzid or tzid.startswith("/") or ".." in tzid.split("/"):
        return None
    for root in zoneinfo.TZPATH:
        try:
            with open(f"{root}/{tzid}", "rb") as handle:
                return handle.read()
        except OSError:
            continue
    try:
        return resources.files("tzdata").joinpath("zoneinfo", *tzid.split("/")).read_bytes()
    except (ModuleNotFoundError, OSError):
        return None
