"""The answers of the programme health questions as people type them: the pulse score (a click's
prefilled subject, a number with words after it, stars) and the first feedback's "good fit?"."""
from __future__ import annotations

import pytest

from mailflow.parsers.forms import read_feedback
from mailflow.parsers.scores import read_score


@pytest.mark.parametrize(("subject", "text", "expected"), [
    ("4", "4", (4, "")),  # the one-click link: subject and body prefilled
    ("Re: How is it going?", "2 – we barely talk\nreally", (2, "we barely talk\nreally")),
    ("x", "4/5 going well", (4, "going well")),
    ("x", "★★★", (3, "")),
    ("3", "", (3, "")),  # a client that drops the body
    ("Re: How is it going?", "I think 3", (None, "I think 3")),
    ("x", "10", (None, "10")),
    ("x", "2026-12-01", (None, "2026-12-01")),
    ("x", "0", (None, "0")),
])
def test_a_pulse_score_is_read_from_the_first_line_or_the_prefilled_subject(subject, text,
                                                                           expected):
    assert read_score(subject, text) == expected


@pytest.mark.parametrize(("written", "fit"), [
    ("Good fit: yes", "yes"), ("Passt es: ja", "yes"), ("Good fit: not sure", "unsure"),
    ("Passt es: weiß nicht", "unsure"), ("Passt es?: weiss nicht", "unsure"),
    ("Good fit?: No, sadly", "no"), ("Passt es / Good fit: nein", "no"),
])
def test_the_first_feedback_reads_the_fit_in_both_languages(written, fit):
    result = read_feedback(f"Took place: yes\nRating: 4\n{written}\n")
    assert result.ok and result.values["good_fit"] == fit


def test_the_fit_is_optional_and_a_wrong_answer_is_named():
    assert "good_fit" not in read_feedback("Took place: yes\nRating: 4\n").values
    result = read_feedback("Took place: yes\nRating: 4\nGood fit: purple\n")
    assert [(e.field, e.problem) for e in result.errors] == [("good_fit", "not_a_choice")]
