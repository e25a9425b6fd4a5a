"""Reading the dates, times and durations people type into forms,
in German and English habits alike.

Pure functions without a clock: "3.12." (no year) or "tomorrow" are refused rather than guessed, and
whether a date lies in the past is the caller's question. Each function raises ``ValueError`` with a
short reason.
"""
from __future__ import annotations

import re
from datetime import date, time

_MONTHS = {
    1: ("january", "januar", "jänner", "jaenner"),
    2: ("february", "februar", "feber"),
    3: ("march", "märz", "maerz", "mrz"),
    4: ("april",),
    5: ("may", "mai"),
    6: ("june", "juni"),
    7: ("july", "juli"),
    8: ("august",),
    9: ("september", "sept"),
    10: ("october", "oktober"),
    11: ("november",),
    12: ("december", "dezember"),
}
_WEEKDAY = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so)[a-z]*\.?,?\s+", re.IGNORECASE
)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_GERMAN = re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{2}|\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:\.|st|nd|rd|th)?\s+([^\W\d_]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_TIME_24 = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(?:uhr|h)?$")
_TIME_12 = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$")
_HOURS_MINUTES = re.compile(r"^(\d{1,2}):(\d{2})(?:\s*h)?$")
_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]*)")
_CONNECTORS = re.compile(r"\b(?:und|and)\b|[\s,+]")
_HOUR_UNITS = ("h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden")
_MINUTE_UNITS = ("", "m", "min", "mins", "minute", "minutes", "minuten")


def parse_date(text: str) -> date:
    """A calendar date from ISO (2026-12-03), German (3.12.2026, 03.12.26) or written-out forms
    ("3. Dezember 2026", "December 3, 2026", "3 Dec 2026"); a leading weekday is ignored."""
    cleaned = _WEEKDAY.sub("", _tidy(text))
    for pattern, order in ((_ISO, "ymd"), (_GERMAN, "dmy")):
        match = pattern.match(cleaned)
        if match:
            parts = dict(zip(order, match.groups()))
            return _make_date(_full_year(parts["y"]), int(parts["m"]), int(parts["d"]), text)
    return _parse_written_date(cleaned, text)


def parse_time(text: str) -> time:
    """A time of day: 15:00, 15.00, 15 Uhr, 15:30 Uhr, 15h30, 3pm, 3:30 p.m."""
    cleaned = _tidy(text).lower()
    match = _TIME_12.match(cleaned)
    if match:
        hour = int(match.group(1))
        if not 1 <= hour <= 12:
            raise ValueError(f"not a time: {text.strip()!r} (am/pm hours run from 1 to 12)")
        hour = hour % 12 + (12 if match.group(3) == "p" else 0)
        return _make_time(hour, int(match.group(2) or 0), text)
    match = _TIME_24.match(cleaned)
    if not match:
        raise ValueError(f"not a time: {text.strip()!r}")
    return _make_time(int(match.group(1)), int(match.group(2) or 0), text)


def parse_minutes(text: str) -> int:
    """A duration in whole minutes: "60", "90 min", "1h", "1,5 Std", "1:30", "1 h 30 min",
    "2 Stunden"."""
    cleaned = re.sub(r"(\d)½", r"\1.5", _tidy(text).lower()).replace("½", "0.5")
    match = _HOURS_MINUTES.match(cleaned)
    if match and int(match.group(2)) < 60:
        return int(match.group(1)) * 60 + int(match.group(2))
    parts = _DURATION_PART.findall(cleaned)
    leftover = _CONNECTORS.sub("", _DURATION_PART.sub("", cleaned))
    if match or not parts or leftover:
        raise ValueError(f"not a duration: {text.strip()!r}")
    minutes = sum(_part_minutes(number, unit, text) for number, unit in parts)
    return round(minutes)


def _part_minutes(number: str, unit: str, text: str) -> float:
    amount = float(number.replace(",", "."))
    if unit in _HOUR_UNITS:
        return amount * 60
    if unit in _MINUTE_UNITS:
        return amount
    raise ValueError(f"not a duration: {text.strip()!r} (unknown unit {unit!r})")


def _parse_written_date(cleaned: str, text: str) -> date:
    match = _DAY_MONTH_YEAR.match(cleaned)
    if match:
        day, month_name, year = match.groups()
    else:
        match = _MONTH_DAY_YEAR.match(cleaned)
        if not match:
            raise ValueError(f"not a date: {text.strip()!r} (write it as 2026-12-03 or 3.12.2026)")
        month_name, day, year = match.groups()
    return _make_date(int(year), _month_number(month_name, text), int(day), text)


def _month_number(name: str, text: str) -> int:
    word = name.lower().rstrip(".")
    for number, names in _MONTHS.items():
        if any(word == full or (len(word) >= 3 and full.startswith(word)) for full in names):
            return number
    raise ValueError(f"not a date: {text.strip()!r} (unknown month {name!r})")


def _full_year(year: str) -> int:
    return 2000 + int(year) if len(year) == 2 else int(year)


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"no such day: {text.strip()!r}") from None


def _make_time(hour: int, minute: int, text: str) -> time:
    try:
        return time(hour, minute)
    except ValueError:
        raise ValueError(f"no such time of day: {text.strip()!r}") from None


def _tidy(text: str) -> str:
    """Collapses the spaces people and mail clients put in
    (non-breaking ones too) and drops bold markers."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).strip(" *_")
