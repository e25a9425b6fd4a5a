"""Reading how often a meeting repeats, as people write it in the meeting form's Repeat /
Wiederholung field: "every 2 weeks, 6 times", "weekly until 31.03.2027", "monthly, 4 times",
"alle 2 Wochen, 6 mal", "wöchentlich bis 31.03.2027", "14-tägig, 5 Termine".

A pure reader without a clock: it returns a Repeat (frequency, interval and how it ends) or raises
ValueError with the key of the problem; whether the series fits the agreement, or ends after it
starts, is the caller's question. Turning a Repeat into an RRULE needs the meeting's zone (UNTIL is
written in UTC), so that is done where the meeting is made.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .dates import parse_date

NUMBER_WORDS = {
    "one": 1, "ein": 1, "eins": 1, "eine": 1, "einem": 1, "two": 2, "zwei": 2, "three": 3,
    "drei": 3, "four": 4, "vier": 4, "five": 5, "fünf": 5, "six": 6, "sechs": 6, "seven": 7,
    "sieben": 7, "eight": 8, "acht": 8, "nine": 9, "neun": 9, "ten": 10, "zehn": 10,
    "eleven": 11, "elf": 11, "twelve": 12, "zwölf": 12,
}
MOST_OCCURRENCES = 50  # as many as an agreement may have meetings
_NONE = frozenset({"", "-", "no", "none", "never", "once", "nein", "keine", "nie", "einmal",
                   "einmalig", "n/a"})
_UNITS = (("DAILY", r"days?|tage?n?|täglich|daily"),
          ("WEEKLY", r"weeks?|wochen?|wöchentlich|woechentlich|weekly"),
          ("MONTHLY", r"months?|monate?n?|monatlich|monthly"))
_OTHER = r"(?:other|zweite[nm]?|2\.)"
_NUMBER = r"(\d{1,2}|[a-zäöü]+)"
_EVERY = re.compile(rf"\b(?:every|each|alle|jede[nrs]?)\s+(?:{_OTHER}\s+|{_NUMBER}\s+)?"
                    r"({unit})\b")
_ADVERB = re.compile(r"(?:\b(bi|zwei|drei|vier)-?)?({unit})(?:\b|$)")
_FORTNIGHT = re.compile(r"\b(?:fortnightly|biweekly|14-?t[äa]gig|vierzehnt[äa]gig)\b")
_COUNT = re.compile(rf"\b{_NUMBER}\s*(?:-?\s*(?:times|mal|x)|\s+(?:meetings|treffen|termine|"
                    r"occurrences|sessions|sitzungen))\b|(?<=\d)x\b")
_UNTIL = re.compile(r"\b(?:until|till|through|bis(?:\s+(?:zum|einschließlich|einschl\.?))?)\s+"
                    r"(?:the\s+|den\s+)?(.+)$")


@dataclass(frozen=True)
class Repeat:
    """A series: every ``interval`` days / weeks / months, ``count`` times or up to ``until``."""

    freq: str  # DAILY | WEEKLY | MONTHLY (RFC 5545 FREQ)
    interval: int
    count: int | None = None
    until: date | None = None


def parse_repeat(text: str) -> Repeat | None:
    """The series text describes; None for "no" / "einmalig" / nothing. ValueError("not_a_repeat")
    when it is none we can read, ("repeat_without_end") when it says no count and no end date."""
    cleaned = " ".join(text.casefold().replace("\u00a0", " ").split()).strip(" .!*_")
    if cleaned in _NONE:
        return None
    freq, interval = _frequency(cleaned)
    count, until = _end(cleaned)
    if count is None and until is None:
        raise ValueError("repeat_without_end")
    if count is not None and not 2 <= count <= MOST_OCCURRENCES:
        raise ValueError("out_of_range")
    return Repeat(freq, interval, count, until)


def _frequency(text: str) -> tuple[str, int]:
    if _FORTNIGHT.search(text):
        return "WEEKLY", 2
    for freq, unit in _UNITS:
        every = re.compile(_EVERY.pattern.replace("{unit}", unit)).search(text)
        if every:
            other, number = text[every.start():every.end()], every.group(1)
            interval = 2 if number is None and re.search(_OTHER, other) else _number(number or "1")
            return freq, _interval(interval)
        adverb = re.compile(_ADVERB.pattern.replace("{unit}", unit)).search(text)
        if adverb and adverb.group(2).endswith(("ly", "lich")):
            prefix = adverb.group(1)
            return freq, {"bi": 2, "zwei": 2, "drei": 3, "vier": 4}.get(prefix or "", 1)
    raise ValueError("not_a_repeat")


def _end(text: str) -> tuple[int | None, date | None]:
    until = _UNTIL.search(text)
    if until:
        try:
            return None, parse_date(until.group(1).strip(" .,;"))
        except ValueError:
            raise ValueError("not_a_repeat") from None
    count = _COUNT.search(text)
    if count is None:
        return None, None
    if count.group(1) is None:  # "6x"
        return int(re.findall(r"\d+", text[:count.end()])[-1]), None
    return _number(count.group(1)), None


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    raise ValueError("not_a_repeat")


def _interval(interval: int) -> int:
    if not 1 <= interval <= 12:
        raise ValueError("out_of_range")
    return interval
