"""The four forms people fill in by replying: each read back into typed values, and written out.

``read_application``, ``read_agreement``, ``read_meeting`` and ``read_feedback`` find the form in a
reply (form_lines), check each field (form_values) and apply the rules of that form; ``render_form``
writes the block we send, which they read back. Readers only turn text into typed values and
per-field problems; what to do with them is the handlers' business, and so is every rule that needs
a clock (a meeting in the past).
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Callable, Mapping

from .form_fields import FORMS, FormResult, field_label, language_key
from .form_lines import choose, collect, item_text
from .form_values import (
    Checker, as_date, as_dates, as_fit, as_language, as_minutes, as_rating, as_repeat, as_role,
    as_time_zone, as_times, as_yes_no, counting, text_up_to, years_later,
)


def _read(form: str, text: str, rules: Callable[[Checker], None]) -> FormResult:
    entries = collect(text, FORMS[form])
    chosen = choose(entries)
    raw: dict[str, str | list[str]] = {
        name: list(entry.value) if isinstance(entry.value, tuple) else entry.value
        for name, entry in chosen.items()
    }
    checker = Checker(raw)
    rules(checker)
    return FormResult(values=checker.values, raw=raw, errors=tuple(checker.errors),
                      found_any=bool(entries),
                      found_unquoted=any(entry.depth == 0 for entry in entries))


def read_application(text: str) -> FormResult:
    """Role, name, language, time zone, topics, capacity (mentors: 1–20) and a free "about me"."""
    return _read("application", text, _application_rules)


def read_agreement(text: str) -> FormResult:
    """Period (until after from, at most two years), 1–50 meetings, kind and frequency of contact,
    topic plan."""
    return _read("agreement", text, _agreement_rules)


def read_meeting(text: str) -> FormResult:
    """Date and time (up to three options: then ``slots``, a list of (date, time); date and time
    are the first), duration (15–480 minutes), how it repeats (``repeat``, a Repeat, only for a
    series, which has one date), place, topic and whether it is the closing meeting.

    Whether the date lies in the past needs a clock, so that is the caller's check."""
    return _read("meeting", text, _meeting_rules)


def read_feedback(text: str) -> FormResult:
    """Whether the meeting took place, a rating 1–5 (needed when it did), a comment, and (only on
    the first feedback form, so optional) whether the pair is a good fit."""
    return _read("first_feedback", text, _feedback_rules)


def _application_rules(check: Checker) -> None:
    role = check.scalar("role", as_role)
    check.scalar("name", text_up_to(100))
    check.scalar("language", as_language, required=False)
    check.scalar("time_zone", as_time_zone, required=False)
    check.items("topics", 100)
    if role != "mentee":
        check.scalar("capacity", counting(1, 20), required=role == "mentor")
    check.scalar("about", text_up_to(2000), required=False)


def _agreement_rules(check: Checker) -> None:
    start = check.scalar("period_from", as_date)
    end = check.scalar("period_until", as_date)
    if isinstance(start, date) and isinstance(end, date):
        if end <= start:
            check.fail("period_until", "before_start")
        elif end > years_later(start, 2):
            check.fail("period_until", "too_long")
    check.scalar("number_of_meetings", counting(1, 50))
    check.scalar("kind_of_contact", text_up_to(200))
    check.scalar("frequency_of_contact", text_up_to(200))
    check.items("topic_plan", 300)


def _meeting_rules(check: Checker) -> None:
    dates, times = check.scalar("date", as_dates), check.scalar("time", as_times)
    if isinstance(dates, list) and isinstance(times, list):
        _slot_rules(check, dates, times)
    check.scalar("duration_minutes", as_minutes)
    repeat = check.scalar("repeat", as_repeat, required=False)
    if repeat is None:
        check.values.pop("repeat", None)
    elif "slots" in check.values:
        check.fail("repeat", "slots_and_repeat")
    check.scalar("place", text_up_to(500))
    check.scalar("topic", text_up_to(300))
    check.scalar("closing_meeting", as_yes_no, required=False)
    if not check.raw.get("closing_meeting"):
        check.values["closing_meeting"] = False


def _slot_rules(check: Checker, dates: list[date], times: list[time]) -> None:
    """Pairs the dates with the times: one each, one time for every date, or one date at every
    time. ``date`` and ``time`` keep the first option, ``slots`` all of them when there are
    several."""
    if len(times) == 1:
        times = times * len(dates)
    elif len(dates) == 1:
        dates = dates * len(times)
    if len(dates) != len(times):
        check.fail("time", "slots_mismatch")
        check.values.pop("date", None)
        return
    if len(dates) > 1:
        check.values["slots"] = list(zip(dates, times))
    check.values["date"], check.values["time"] = dates[0], times[0]


def _feedback_rules(check: Checker) -> None:
    took_place = check.scalar("took_place", as_yes_no)
    check.scalar("rating", as_rating, required=took_place is True)
    check.scalar("comment", text_up_to(2000), required=False)
    check.scalar("good_fit", as_fit, required=False)


# ---------------------------------------------------------------- writing forms

def render_form(form: str, values: Mapping[str, object], language: str) -> str:
    """The plain-text block we send, prefilled with typed or raw values; read_<form> reads it back.

    Labels come in the mail's language with the other after a slash; lists as numbered lines (an
    empty list as a lone "1."); dates as ISO in English and as 3.12.2026 in German."""
    lines: list[str] = []
    for spec in FORMS[form]:
        label = field_label(spec.name, language)
        value = values.get(spec.name)
        if spec.kind == "list":
            lines.append(f"{label}:")
            items = _render_items(value)
            numbered = enumerate(items or [""], start=1)
            lines.extend(f"{number}. {item}".rstrip() for number, item in numbered)
        else:
            rendered = _render_value(value, language)
            text_lines = [line for line in rendered.splitlines() if line.strip()]
            lines.append(f"{label}: {text_lines[0] if text_lines else ''}".rstrip())
            lines.extend(text_lines[1:])
    return "\n".join(lines) + "\n"


def _render_items(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [item_text(part) for part in re.split(r"[;\n]", value) if part.strip()]
    return [" ".join(str(item).split())
            for item in value if str(item).strip()]  # type: ignore[attr-defined]


def _render_value(value: object, language: str) -> str:
    german = language_key(language) == "de"
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nein") if german else ("yes" if value else "no")
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year}" if german else value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value)
    if isinstance(value, timedelta):
        return str(int(value.total_seconds() // 60))
    return str(value)

