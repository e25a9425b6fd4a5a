"""Recurring meetings as RFC 5545 RRULEs: writing one from a form's Repeat, listing the starts it
gives, and saying it in words for a mail.

Occurrences keep their wall-clock time across daylight-saving changes (15:00 in Berlin in winter
and in summer), as calendar clients expand an RRULE on a DTSTART with TZID. UNTIL is written in
UTC, as RFC 5545 §3.3.10 requires next to a DTSTART with TZID: the end of the last day in the
meeting's zone."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from ..parsers.repeats import MOST_OCCURRENCES, Repeat


def rrule_text(repeat: Repeat, tzid: str) -> str:
    """FREQ=WEEKLY;INTERVAL=2;COUNT=6, or …;UNTIL=20270331T215959Z."""
    parts = [f"FREQ={repeat.freq}", f"INTERVAL={repeat.interval}"]
    if repeat.count is not None:
        parts.append(f"COUNT={repeat.count}")
    if repeat.until is not None:
        last = datetime.combine(repeat.until, time(23, 59, 59), tzinfo=ZoneInfo(tzid))
        parts.append(f"UNTIL={last.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


def occurrence_starts(rrule: str, start: datetime, tzid: str) -> list[datetime]:
    """The starts the rule gives from start (in UTC), at most one more than we allow, so a caller
    can tell a series that is too long."""
    first = start.astimezone(ZoneInfo(tzid))
    starts = []
    for moment in rrulestr(rrule, dtstart=first):
        starts.append(moment.astimezone(timezone.utc))
        if len(starts) > MOST_OCCURRENCES:
            break
    return starts


_UNIT = {"en": {"DAILY": ("day", "days"), "WEEKLY": ("week", "weeks"),
                "MONTHLY": ("month", "months")},
         "de": {"DAILY": ("Tag", "Tage"), "WEEKLY": ("Woche", "Wochen"),
                "MONTHLY": ("Monat", "Monate")}}


def describe(rrule: str, count: int, language: str) -> str:
    """"every 2 weeks, 6 times" / "alle 2 Wochen, 6 Mal" (count: the occurrences it gives)."""
    rule = dict(part.split("=", 1) for part in rrule.split(";"))
    interval = int(rule.get("INTERVAL", "1"))
    one, many = _UNIT["de" if language == "de" else "en"][rule["FREQ"]]
    if language == "de":
        every = f"jede{'n' if one in ('Tag', 'Monat') else ''} {one}" if interval == 1 \
            else f"alle {interval} {many}"
        return f"{every}, {count} Mal"
    every = f"every {one}" if interval == 1 else f"every {interval} {many}"
    return f"{every}, {count} times"
