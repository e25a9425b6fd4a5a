"""From "I'd like a mentor" to an approved agreement, only by replying to mails, in English and German."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mailflow.domain.people import import_rows
from mailflow.parsers.people_csv import read_people_csv
from mailflow.store.models import Achievement, AgreementVersion, Mentorship

from .support.conversation import Conversation, one_to

MENTEE, MENTOR = "mia@example.org", "otto@example.org"
HELLO = "hello@mentoring.test"
PEOPLE = """email,name,role,language,timezone,topics,capacity
mia@example.org,Mia Mentee,mentee,{lang},Europe/Berlin,Career planning;Public speaking,
otto@example.org,Otto Mentor,mentor,{lang},Europe/Berlin,Career planning;Leadership,2
"""
WORDS = {
    "en": dict(mentors="MENTORS", request="REQUEST", accept="ACCEPT", approve="APPROVE", changes="CHANGES",
               amend="AMEND", meeting="MEETING", duration="Duration", style_a="gmail", style_b="outlook", style_c="apple",
               labels=("Period from", "Period until", "Number of meetings", "Kind of contact",
                       "Frequency of contact", "Topic plan"), day=lambda d: d),
    "de": dict(mentors="MENTOREN", request="ANFRAGE", accept="ANNEHMEN", approve="ZUSTIMMEN", changes="ÄNDERN",
               amend="ANPASSEN", meeting="TREFFEN", duration="Dauer", style_a="de_gmail", style_b="de_outlook", style_c="de_apple",
               labels=("Zeitraum von", "Zeitraum bis", "Anzahl der Treffen", "Art der Kontaktaufnahme",
                       "Häufigkeit der Kontaktaufnahme", "Themenplan"),
               day=lambda d: f"{int(d[8:])}.{int(d[5:7])}.{d[:4]}"),
}


def filled_form(words: dict, start: str, until: str, meetings: str, topics: list[str]) -> str:
    l = words["labels"]
    lines = [f"{l[0]}: {words['day'](start)}", f"{l[1]}: {words['day'](until)}", f"{l[2]}: {meetings}",
             f"{l[3]}: Video", f"{l[4]}: alle zwei Wochen / every two weeks", f"{l[5]}:"]
    return "\n".join(lines + [f"{n}. {t}" for n, t in enumerate(topics, 1)])


def imported(app, lang: str) -> None:
    with app.store.transaction() as session:
        import_rows(session, app.settings, read_people_csv(PEOPLE.format(lang=lang)).rows, app.clock.now())


def link_in(text: str, keyword: str) -> str:
    return re.search(r"mailto:([^?\s]+)\?subject=" + re.escape(keyword).replace("\\ ", "%20"), text).group(1)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_mentee_and_a_mentor_reach_an_approved_agreement_by_mail(app, sink, lang):
    words, talk = WORDS[lang], Conversation(app, sink)
    imported(app, lang)

    listing = one_to(talk.write(MENTEE, HELLO, words["mentors"], ""), MENTEE)
    assert "Otto Mentor (otto-mentor)" in listing.text() and "Leadership" in listing.text()
    request_address = link_in(listing.text(), f"{words['request']} otto-mentor")

    sent = talk.write(MENTEE, request_address, f"{words['request']} otto-mentor",
                      f"{words['request']} otto-mentor\nI would love to learn about leadership.")
    request = one_to(sent, MENTOR)
    assert "Mia Mentee" in request.text() and "learn about leadership" in request.text()
    assert "Public speaking" in request.text()
    one_to(sent, MENTEE)

    answered = talk.reply(request, MENTOR, words["accept"], style=words["style_b"])
    guides = [m for m in answered if "Mia Mentee" in m.text() and "Otto Mentor" in m.text()]
    assert {m.rcpt_tos[0] for m in guides} >= {MENTEE, MENTOR}
    form_mail = [m for m in answered if m.rcpt_tos == (MENTEE,) and words["labels"][0] in m.text()]
    assert len(form_mail) == 1, "the mentee alone gets the agreement form"
    assert not [m for m in answered if m.rcpt_tos == (MENTOR,) and words["labels"][0] in m.text()]
    assert "Public speaking" in form_mail[0].text(), "the form is prefilled with the mentee's topics"

    wrong = talk.reply(form_mail[0], MENTEE, filled_form(words, "2027-01-10", "2026-12-01", "60",
                                                         ["Career", "Talks"]), style=words["style_a"])
    errors = one_to(wrong, MENTEE).text()
    assert words["labels"][1] in errors and words["labels"][2] in errors
    assert "Career" in errors and "Talks" in errors, "the mentee's own values come back"

    valid = filled_form(words, "2026-12-07", "2027-06-30", "8", ["Career plan", "Presenting", "Leading a team"])
    approval = one_to(talk.reply(one_to(wrong, MENTEE), MENTEE, valid, style=words["style_c"]), MENTOR)
    meetings = {"en": "  Number of meetings:  8", "de": "  Anzahl der Treffen:  8"}[lang]
    assert {meetings, "    2. Presenting"} <= set(approval.text().splitlines())

    returned = talk.reply(approval, MENTOR, f"{words['changes']} please add a topic on networking")
    back = one_to(returned, MENTEE)
    assert "networking" in back.text() and "Presenting" in back.text()

    final = filled_form(words, "2026-12-07", "2027-06-30", "9", ["Career plan", "Presenting", "Networking"])
    approval = one_to(talk.reply(back, MENTEE, final, style=words["style_b"]), MENTOR)
    approved = talk.reply(approval, MENTOR, words["approve"], style=words["style_a"])

    for person in (MENTEE, MENTOR):
        mail = one_to(approved, person)
        assert "Networking" in mail.text()
        [pdf] = [p for p in mail.message.iter_attachments() if p.get_content_type() == "application/pdf"]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
        assert "Mia Mentee" in text and "Otto Mentor" in text and "Networking" in text
    with app.store.transaction() as session:
        mentorship = session.scalar(select(Mentorship))
        assert mentorship.state == "active"
        versions = session.scalars(select(AgreementVersion).order_by(AgreementVersion.version)).all()
        assert [v.state for v in versions] == ["changes_requested", "approved"]
        assert versions[-1].meetings == 9 and versions[-1].approved_by_id == mentorship.mentor_id
        kinds = sorted(session.scalars(select(Achievement.kind).where(Achievement.person_id == mentorship.mentee_id)))
        assert kinds == ["agreement_signed", "joined", "matched"]

    # The approved mail leads on to the first meeting: a personal address to invite from one's own calendar, and
    # MEETING in reply brings the meeting form.
    approved_mail = one_to(approved, MENTEE)
    assert re.search(r"meetings\+plan\.\S+@mentoring\.test", approved_mail.text())
    meeting_form = one_to(talk.reply(approved_mail, MENTEE, words["meeting"], style=words["style_c"]), MENTEE)
    assert words["duration"] in meeting_form.text()
