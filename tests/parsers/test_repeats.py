"""The meeting form's Repeat / Wiederholung field and the number a reply picks a slot with, as
people write them in English and German."""
from __future__ import annotations

from datetime import date

import pytest

from mailflow.parsers.choices import read_choice
from mailflow.parsers.repeats import Repeat, parse_repeat


@pytest.mark.parametrize("text, expected", [
    ("every 2 weeks, 6 times", Repeat("WEEKLY", 2, 6)),
    ("alle 2 Wochen, 6 mal", Repeat("WEEKLY", 2, 6)),
    ("every other week 6x", Repeat("WEEKLY", 2, 6)),
    ("14-tägig, 5 Termine", Repeat("WEEKLY", 2, 5)),
    ("jede Woche, sechs Mal", Repeat("WEEKLY", 1, 6)),
    ("weekly until 31.03.2027", Repeat("WEEKLY", 1, until=date(2027, 3, 31))),
    ("wöchentlich bis 31.03.2027", Repeat("WEEKLY", 1, until=date(2027, 3, 31))),
    ("alle zwei Wochen bis zum 31.3.2027", Repeat("WEEKLY", 2, until=date(2027, 3, 31))),
    ("monthly, 4 times", Repeat("MONTHLY", 1, 4)),
    ("alle 3 Monate, 4-mal", Repeat("MONTHLY", 3, 4)),
    ("monatlich bis 2027-06-30", Repeat("MONTHLY", 1, until=date(2027, 6, 30))),
    ("nein", None), ("", None), ("einmalig", None),
])
def test_a_series_is_read_in_both_languages(text, expected):
    assert parse_repeat(text) == expected


@pytest.mark.parametrize("text, problem", [
    ("every week", "repeat_without_end"), ("sometimes, 3 times", "not_a_repeat"),
    ("weekly, 60 times", "out_of_range"), ("wöchentlich bis irgendwann", "not_a_repeat"),
])
def test_what_is_no_series_says_why(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_repeat(text)


@pytest.mark.parametrize("text, number", [
    ("2", 2), ("2.", 2), ("#3", 3), ("Option 1", 1), ("Termin 2\n\nDanke!", 2), ("\n  *3*  ", 3),
    ("2 would be great", None), ("JA", None), ("", None), ("12", None),
])
def test_a_reply_picks_a_slot_by_its_number(text, number):
    assert read_choice(text) == number
