"""What a person is told, reason by reason: every entry of the catalogue (mailflow/reasons.py)
renders its own text in German and in English, no template branches on a why the catalogue does
not know or falls back to a text of its own, and every raise site names a constant. A misspelt why
fails here instead of falling silently into a template's fallback text."""
from __future__ import annotations

import ast
import re
from datetime import datetime
from itertools import combinations
from pathlib import Path

import pytest

from mailflow.outcomes import Polite, Refused
from mailflow.outgoing.compose import LANGUAGES, Templates
from mailflow.reasons import Answer, Reason, Refusal
from mailflow.store.models import InboundMessage
from mailflow.tokens import Token

from .support.mails import add_person, person_mail, process, store_mail

PACKAGE = Path(__file__).resolve().parents[1] / "mailflow"
TEMPLATES = PACKAGE / "templates"
CATALOGUE = {"Reason": Reason, "Answer": Answer, "Refusal": Refusal}
TOLD = [*Reason, *Answer]
# every value the mails of the catalogue print, as a person would get them
SAMPLE = dict(programme="Mentoring Test", hello="hello@mentoring.test", domain="mentoring.test",
              name="Mia", count=2, wanted="zed", mentors="mailto:hello@mentoring.test",
              other="Otto", state="active", files=[], who="Ann", id=7, email="ann@example.org",
              command="REMIND", role="mentor", actual="mentee", capacity=2, reason="5.1.1",
              resent=True, coordinators="coordinators@mentoring.test",
              code="K7QM-2XPA-9C", revoked_on=datetime(2026, 12, 2, 9, 0),
              proposal=4, lines="9", typed="2026-13-01")
RAISING = ("Polite", "Refused", "_no")
_COMPARED = re.compile(r"\b(why|code) == [\"']([^\"']+)[\"']")


def _said(template: str, values: dict, language: str) -> str:
    """The words of the text part that are this mail's own: after the greeting, before the
    signature."""
    _, text, _ = Templates().render(template, language, dict(SAMPLE, lang=language, **values))
    _greeting, _, body = text.split("\n-- \n")[0].strip().partition("\n")
    return body.strip()


def _one_per_text() -> list:
    """One entry per thing a person can be told: causes that share a template and a why share
    their text by design (they differ in the log line only)."""
    return list({(told.template, told.why): told for told in TOLD}.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_says_its_own_text(language):
    said = {told: _said(told.template, told.mail_values({}), language) for told in _one_per_text()}
    assert [told.name for told, text in said.items() if not text] == []
    alike = [f"{a.name} = {b.name}" for a, b in combinations(said, 2)
             if a.template == b.template and said[a] == said[b]]
    assert alike == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted({t.template for t in TOLD if t.why is not None}))
def test_an_unknown_why_gets_no_fallback_text(template, language):
    key = next(told.key for told in TOLD if told.template == template)
    assert _said(template, {key: "no_such_why", "ok": False}, language) == ""


def _compared() -> set[tuple[str, str, str, str]]:
    """(file, template, why or code, value) for every `why == "…"` in every template file; file is
    e.g. en/meeting_problem.txt."""
    found = set()
    for path in TEMPLATES.glob("*/*"):
        file, name = f"{path.parent.name}/{path.name}", path.name.split(".")[0]
        text = path.read_text("utf-8")
        found |= {(file, name, key, value) for key, value in _COMPARED.findall(text)}
    return found


def test_no_template_branches_on_a_why_the_catalogue_does_not_know():
    known = {(told.template, told.key, told.why) for told in TOLD}
    unknown = sorted(f"{file}: {key} == {value!r}" for file, name, key, value in _compared()
                     if (name, key, value) not in known)
    assert unknown == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_why_of_the_catalogue_has_its_branch_in_the_text(language):
    compared = _compared()
    missing = sorted(f"{told.name}: {told.key} == {told.why!r}" for told in TOLD if told.why and
                     (f"{language}/{told.template}.txt", told.template, told.key, told.why)
                     not in compared)
    assert missing == []


def _nodes() -> list[tuple[str, ast.AST]]:
    return [(f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', 0)}", node)
            for path in PACKAGE.rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text("utf-8")))]


def test_raise_sites_name_constants_of_the_catalogue():
    """No free string where a reason belongs, and no constant the catalogue does not have."""
    wrong = []
    for where, node in _nodes():
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in RAISING:
            first = node.args[0] if node.args else None
            if not isinstance(first, (ast.Attribute, ast.Subscript, ast.Name)):
                wrong.append(f"{where}: {ast.unparse(node)[:60]}")
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") in CATALOGUE:
            if node.attr not in CATALOGUE[node.value.id].__members__:
                wrong.append(f"{where}: {node.value.id}.{node.attr}")
    assert wrong == []


def test_the_log_line_is_filled_from_the_values_the_mail_gets():
    polite = Polite(Reason.MEETING_CANCELLED, meeting=3)
    assert polite.template == "meeting_problem"
    assert polite.values == {"meeting": 3, "why": "cancelled"}
    assert str(polite) == "meeting 3 is cancelled"
    assert str(Polite(Answer.USAGE)) == "'{command}' lacks what it acts on"  # shows, never raises
    assert str(Refused(Refusal.NOT_A_COORDINATOR, sender="x@y")) == "x@y is no coordinator"


@pytest.mark.parametrize("language, yes, told", [
    ("en", "YES", "that mail was not addressed to you"),
    ("de", "JA", "diese Mail war nicht an Sie gerichtet"),
])
def test_a_yes_to_a_meeting_that_is_not_theirs_gets_the_not_yours_text(app, sink, language, yes,
                                                                        told):
    """Raised without a why, not_allowed could not be rendered (the template compares why), so the
    mail failed and was retried; with its why from the catalogue the person is told."""
    person = add_person(app, "nia@example.org", language)
    address = app.signer.address(Token("reply", "meeting", 999, person.id))
    store_mail(app, person_mail("nia@example.org", address, "Re: Meeting", yes))
    process(app)
    [answer] = sink.wait_for(1)
    assert told in answer.text()
    with app.store.reading() as session:
        row = session.query(InboundMessage).one()
        assert (row.state, row.outcome) == ("done", "accept_by_reply: declined politely: "
                                                    "meeting 999 does not exist")
