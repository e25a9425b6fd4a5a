"""Dates, times and durations as German and English speakers type them into a reply."""
from __future__ import annotations

from datetime import date, time

import pytest

from mailflow.parsers.dates import parse_date, parse_minutes, parse_time


@pytest.mark.parametrize("written", [
    "2026-12-03", "3.12.2026", "03.12.2026", "03.12.26", "3. 12. 2026", "3. Dezember 2026", "3 Dezember 2026",
    "3. Dez. 2026", "December 3, 2026", "Dec 3 2026", "3 Dec 2026", "3rd December 2026", "Do, 3.12.2026",
    "Thursday, December 3, 2026", "Donnerstag, 3. Dezember 2026", "  2026-12-03 ", "3.12.2026\u00a0", "*3.12.2026*",
])
def test_a_date_written_the_german_or_english_way_is_the_third_of_december(written):
    assert parse_date(written) == date(2026, 12, 3)


@pytest.mark.parametrize("written, expected", [
    ("1. März 2027", date(2027, 3, 1)), ("1. Maerz 2027", date(2027, 3, 1)), ("31 May 2027", date(2027, 5, 31)),
    ("31. Mai 2027", date(2027, 5, 31)), ("1 Oct 2027", date(2027, 10, 1)), ("1. Okt. 2027", date(2027, 10, 1)),
    ("29.02.2028", date(2028, 2, 29)), ("1.1.30", date(2030, 1, 1)),
])
def test_month_names_and_short_years_in_both_languages_are_read(written, expected):
    assert parse_date(written) == expected


@pytest.mark.parametrize("written", [
    "", "soon", "nächste Woche", "3.12.", "12/03/2026", "31.02.2026", "2026-13-01", "3 Marketing 2026", "tomorrow",
])
def test_what_is_no_date_or_no_day_is_refused_with_a_reason(written):
    with pytest.raises(ValueError, match=r"not a date|no such day"):
        parse_date(written)


@pytest.mark.parametrize("written, expected", [
    ("15:00", time(15, 0)), ("15.00", time(15, 0)), ("15 Uhr", time(15, 0)), ("15:30 Uhr", time(15, 30)),
    ("3pm", time(15, 0)), ("3 pm", time(15, 0)), ("3:30 pm", time(15, 30)), ("3:30 p.m.", time(15, 30)),
    ("9am", time(9, 0)), ("12am", time(0, 0)), ("12pm", time(12, 0)), ("9:05", time(9, 5)), ("15h30", time(15, 30)),
    ("8 Uhr", time(8, 0)),
])
def test_times_of_day_in_24_hour_german_and_am_pm_forms(written, expected):
    assert parse_time(written) == expected


@pytest.mark.parametrize("written", ["", "afternoon", "25:00", "15:75", "13pm", "0am", "15 Uhr abends"])
def test_what_is_no_time_of_day_is_refused(written):
    with pytest.raises(ValueError, match=r"time"):
        parse_time(written)


@pytest.mark.parametrize("written, minutes", [
    ("60", 60), ("90 min", 90), ("90 Minuten", 90), ("45 minutes", 45), ("1h", 60), ("1 h", 60), ("2 hours", 120),
    ("1,5 Std", 90), ("1.5 h", 90), ("1 Stunde", 60), ("2 Stunden", 120), ("1:30", 90), ("1 h 30 min", 90),
    ("1h30", 90), ("1 Stunde und 30 Minuten", 90), ("½ h", 30),
])
def test_durations_are_read_in_minutes(written, minutes):
    assert parse_minutes(written) == minutes


@pytest.mark.parametrize("written", ["", "long", "ein paar Stunden", "3 days", "1:75"])
def test_what_is_no_duration_is_refused(written):
    with pytest.raises(ValueError):
        parse_minutes(written)
