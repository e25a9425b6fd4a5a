"""The text templates as readers get them: Jinja's trim_blocks eats the line break after a block tag, so a line
that ends in one runs into the next ("Topic: CareerClosing meeting: yes"). This reads every text template and
renders the meeting mails with and without their optional lines."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from mailflow.outgoing.compose import Templates
from mailflow.outgoing.meeting_times import MeetingTime

TEMPLATES = Path(__file__).resolve().parents[1] / "mailflow" / "templates"
WHEN = MeetingTime(datetime(2026, 12, 10, 14, tzinfo=timezone.utc),
                   datetime(2026, 12, 10, 15, tzinfo=timezone.utc), ("Europe/Berlin",))
_ENDS_IN_TAG = re.compile(r"\S.*\{%[^%]*[^+]%\}\s*$")


def _glued_lines(path: Path) -> list[str]:
    lines = path.read_text().split("\n")
    glued = []
    for number, (line, following) in enumerate(zip(lines, lines[1:]), start=1):
        tag_only = line.lstrip().startswith("{%") and line.count("{%") == 1
        if _ENDS_IN_TAG.match(line) and not tag_only and following.strip() and not following.lstrip().startswith("{%"):
            glued.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[-50:]}")
    return glued


def test_no_text_template_line_runs_into_the_next():
    glued = [found for path in sorted(TEMPLATES.glob("*/*.txt")) for found in _glued_lines(path)]
    assert glued == []


@pytest.mark.parametrize("language, closing_line", [("en", "Closing meeting: yes"), ("de", "Abschlusstreffen: ja")])
@pytest.mark.parametrize("name", ["meeting_invitation", "meeting_confirmed", "meeting_cancelled",
                                  "meeting_declined", "meeting_tentative", "meeting_counter_declined"])
def test_meeting_details_stand_on_lines_of_their_own(name, language, closing_line):
    values = dict(programme="Mentoring Test", hello="hello@mentoring.test", domain="mentoring.test", lang=language,
                  name="Mia", when=WHEN, minutes=60, place="Café", topic="Career",
                  other="Otto", proposer="Otto", cancelled_by="Otto", proposed=WHEN, form="Date:",
                  yes="mailto:x", no="mailto:y", cancel="mailto:z", plan="meetings+plan@x", sequence=0)
    for closing in (True, False):
        _, text, _ = Templates().render(name, language, dict(values, closing=closing))
        lines = text.splitlines()
        topic = next(i for i, line in enumerate(lines) if line.endswith(": Career"))
        assert lines[topic] == {"en": "Topic: Career", "de": "Thema: Career"}[language]
        assert (closing_line in lines) is closing
        after = topic + 1 + closing
        assert lines[after] == "", "a blank line after the meeting's details"


@pytest.mark.parametrize(("language", "end", "check", "answer"), [
    ("en", "in clear.", 'To check the name printed on it, send "VERIFY', "The name you sent"),
    ("de", "im Klartext.", "Um den aufgedruckten Namen zu prüfen", "Der Name „Ann“ ist"),
])
def test_the_verify_answer_for_a_deleted_holder_keeps_its_sentences_apart(language, end, check,
                                                                          answer):
    values = dict(programme="P", hello="hello@x.test", domain="x.test", lang=language, name="",
                  genuine=True, code="K7QM2XPA9C", holder="", removed=True, name_matches=True,
                  period_from=date(2026, 1, 1), period_until=date(2026, 6, 1), typed="", revoked=False,
                  credential_attached=False)
    for asked, following in (("", check), ("Ann", answer)):
        _, text, _ = Templates().render("verify_result", language, dict(values, asked_name=asked))
        assert f"{end}\n{following}" in text
