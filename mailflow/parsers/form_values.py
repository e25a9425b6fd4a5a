"""One field's text as a typed value (a date, yes or no, a rating, a time zone), or its problem.

Each reader takes what the person wrote and returns the value or raises the key of a PROBLEM_TEXT
entry; a ``Checker`` runs them over a form's raw fields and keeps one FieldError per field that is
wrong. Rules that need a clock (a meeting in the past) are not here: they are the handlers'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Callable
from zoneinfo import ZoneInfo, available_timezones

from .dates import parse_date, parse_minutes, parse_time
from .form_fields import FieldError
from .form_lines import HINTS
from .repeats import NUMBER_WORDS, Repeat, parse_repeat

MEETING_MINUTES = (15, 480)  # shortest and longest meeting we plan
MOST_SLOTS = 3  # date / time options offered at once
_OPTIONS = re.compile(r"\s*(?:[;|]|\b(?:or|oder)\b)\s*", re.IGNORECASE)


class _Problem(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass
class Checker:
    """Turns raw field text into typed values, noting one FieldError per field that is wrong."""

    raw: dict[str, str | list[str]]
    values: dict[str, object] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    def scalar(self, name: str, convert: Callable[[str], object],
               required: bool = True) -> object | None:
        text = str(self.raw.get(name, ""))
        if not text:
            if required:
                self.fail(name, "missing")
            return None
        try:
            self.values[name] = convert(text)
        except _Problem as problem:
            self.fail(name, problem.problem)
        return self.values.get(name)

    def items(self, name: str, longest: int) -> None:
        if name not in self.raw:
            self.fail(name, "missing")
            return
        items = list(self.raw[name])
        if not items:
            self.fail(name, "empty_list")
        elif any(len(item) > longest for item in items):
            self.fail(name, "text_too_long")
        else:
            self.values[name] = items

    def fail(self, name: str, problem: str) -> None:
        self.values.pop(name, None)
        raw = self.raw.get(name, "")
        written = raw if isinstance(raw, str) else "; ".join(raw)
        self.errors.append(FieldError(name, problem, written))


_YES = frozenset({"yes", "y", "ja", "j", "jep", "yep", "yeah", "true", "x", "✓", "✔", "ok", "okay"})
_NO = frozenset({"no", "n", "nein", "nope", "false", "nö", "-"})
_LANGUAGES = {"de": "de", "deutsch": "de", "german": "de", "ger": "de", "deu": "de",
              "en": "en", "english": "en", "englisch": "en", "eng": "en"}


def _first_word(text: str) -> str:
    words = re.findall(r"[\w✓✔-]+", text.casefold())
    return words[0] if words else ""


def as_date(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError:
        raise _Problem("not_a_date") from None


def as_time(text: str) -> time:
    try:
        return parse_time(text)
    except ValueError:
        raise _Problem("not_a_time") from None


def as_dates(text: str) -> list[date]:
    """Up to three dates, separated by ";", "or" / "oder" (or by commas, where each piece is a
    date on its own)."""
    return _options(text, as_date)


def as_times(text: str) -> list[time]:
    """Up to three times of day, separated like the dates."""
    return _options(text, as_time)


def _options(text: str, read: Callable[[str], object]) -> list:
    pieces = [piece for piece in _OPTIONS.split(text) if piece.strip()]
    if len(pieces) == 1 and "," in text:
        try:
            pieces_read = [read(piece) for piece in text.split(",") if piece.strip()]
        except _Problem:
            pieces_read = []
        if len(pieces_read) > 1:
            return _at_most_slots(pieces_read)
    return _at_most_slots([read(piece) for piece in pieces])


def _at_most_slots(options: list) -> list:
    if len(options) > MOST_SLOTS:
        raise _Problem("too_many_slots")
    return options


def as_repeat(text: str) -> Repeat | None:
    try:
        return parse_repeat(text)
    except ValueError as error:
        raise _Problem(str(error)) from None


def as_minutes(text: str) -> int:
    try:
        minutes = parse_minutes(text)
    except ValueError:
        raise _Problem("not_a_duration") from None
    return _in_range(minutes, *MEETING_MINUTES)


def _in_range(number: int, lowest: int, highest: int) -> int:
    if not lowest <= number <= highest:
        raise _Problem("out_of_range")
    return number


def counting(lowest: int, highest: int) -> Callable[[str], int]:
    """A reader of whole numbers ("6", "ca. 6 Treffen", "sechs") within a range."""
    def read(text: str) -> int:
        numbers = re.findall(r"\d+", text)
        if len(numbers) == 1 and not re.search(r"\d[.,]\d", text):
            return _in_range(int(numbers[0]), lowest, highest)
        words = [word for word in re.findall(r"\w+", text.casefold()) if word in NUMBER_WORDS]
        if not numbers and len(words) == 1:
            return _in_range(NUMBER_WORDS[words[0]], lowest, highest)
        raise _Problem("not_a_number")
    return read


def text_up_to(longest: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        if len(text) > longest:
            raise _Problem("text_too_long")
        return text
    return read


def as_yes_no(text: str) -> bool:
    word = _first_word(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _Problem("not_yes_no")


_UNSURE = re.compile(r"not sure|unsure|weiß nicht|weiss nicht|nicht sicher|unsicher|vielleicht|"
                     r"maybe|don'?t know|^\?+$")


def as_fit(text: str) -> str:
    """The first feedback's "good fit?": "yes", "unsure" or "no"."""
    if _UNSURE.search(" ".join(text.casefold().split())):
        return "unsure"
    word = _first_word(text)
    if word in _YES:
        return "yes"
    if word in _NO:
        return "no"
    raise _Problem("not_a_choice")


def as_rating(text: str) -> int:
    cleaned = " ".join(text.casefold().split()).rstrip(".!")
    if cleaned and set(cleaned) <= set("★⭐☆ "):
        return _in_range(cleaned.count("★") + cleaned.count("⭐"), 1, 5)
    if re.fullmatch(r"\*{1,5}", cleaned):
        return len(cleaned)
    match = re.fullmatch(r"(\d+)\s*(?:(?:/|von|of|out of|aus)\s*5)?"
                         r"\s*(?:sterne?n?|stars?|punkte?n?|points?)?", cleaned)
    if not match:
        raise _Problem("not_a_rating")
    return _in_range(int(match.group(1)), 1, 5)


def as_role(text: str) -> str:
    word = _first_word(text)
    for role in ("mentee", "mentor"):
        if word.startswith(role):
            return role
    raise _Problem("not_a_choice")


def as_language(text: str) -> str:
    word = _first_word(text)
    if word not in _LANGUAGES:
        raise _Problem("not_a_choice")
    return _LANGUAGES[word]


def as_time_zone(text: str) -> str:
    """An IANA zone name that zoneinfo knows;
    case and a missing region ("berlin") are forgiven when unique."""
    name = "_".join(HINTS.sub(" ", text).split())
    zones = available_timezones()
    if name not in zones:
        wanted = name.casefold()
        matches = [zone for zone in zones
                   if zone.casefold() == wanted or zone.casefold().endswith("/" + wanted)]
        name = matches[0] if len(matches) == 1 else ""
    try:
        return ZoneInfo(name).key
    except (ValueError, OSError, LookupError):
        raise _Problem("unknown_time_zone") from None


def years_later(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)

