"""Requests that do not hang, through the real SMTP receiver with the settable clock: an unanswered
request is reminded, then withdrawn after MAILFLOW_REQUEST_EXPIRY_DAYS; the mentee is offered the
next best mentors with a free place and one click on an offer sends the new request. A mentor's
reason for declining reaches the coordinators' store, never a mail to the mentee; STATS counts
declines and expiries."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from mailflow.domain.people import import_rows
from mailflow.parsers.people_csv import read_people_csv
from mailflow.store.models import Mentorship, Person

from .support.conversation import Conversation
from .support.conversation import jobs_at as at
from .support.conversation import one_to

HELLO, COORDINATOR = "hello@mentoring.test", "coord@example.org"
MIA, OTTO, ADA, BEN, CAI = ("mia@example.org", "otto@example.org", "ada@example.org",
                            "ben@example.org", "cai@example.org")
PEOPLE = """email,name,role,language,timezone,topics,capacity
mia@example.org,Mia Mentee,mentee,{lang},Europe/Berlin,Career planning;Public speaking,
otto@example.org,Otto Mentor,mentor,{lang},Europe/Berlin,Career planning;Leadership,2
ada@example.org,Ada Lovelace,mentor,{lang},Europe/Berlin,Public speaking;Career planning,1
ben@example.org,Ben Far,mentor,{lang},America/New_York,Leadership,1
cai@example.org,Cai Full,mentor,{lang},Europe/Berlin,Career planning;Public speaking,0
"""
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
WORDS = {
    "en": dict(mentors="MENTORS", request="REQUEST", decline="DECLINE",
               expired="Your request to Otto Mentor has been withdrawn – 2 other mentors for you",
               withdrawn="The request of Mia Mentee has been withdrawn",
               shared="in common: Career planning, Public speaking", stats="STATS",
               counted="Requests: 1 declined by the mentor, 1 expired without an answer",
               kept="kept for the programme coordinators only"),
    "de": dict(mentors="MENTOREN", request="ANFRAGE", decline="ABLEHNEN",
               expired="Ihre Anfrage an Otto Mentor wurde zurückgezogen – 2 andere Mentor:innen "
                       "für Sie",
               withdrawn="Die Anfrage von Mia Mentee wurde zurückgezogen",
               shared="gemeinsam: Career planning, Public speaking", stats="STATISTIK",
               counted="Anfragen: 1 von Mentor:innen abgelehnt, 1 ohne Antwort abgelaufen",
               kept="sieht nur das Koordinationsteam"),
}
REASON = "I only mentor people of my own department, sorry."


def imported(app, lang: str) -> None:
    with app.store.transaction() as session:
        rows = read_people_csv(PEOPLE.format(lang=lang)).rows
        import_rows(session, app.settings, rows, app.clock.now())


def link_to(text: str, keyword: str) -> tuple[str, str]:
    """The address and the subject of the one-click link that prefills keyword."""
    found = re.search(r"mailto:([^?\s]+)\?subject=(" + re.escape(keyword).replace("\\ ", "%20")
                      + r")&", text)
    assert found, f"no link for {keyword!r} in:\n{text}"
    return found.group(1), keyword



def requests(app) -> list[tuple[str, str, str]]:
    with app.store.reading() as session:
        rows = session.execute(select(Person.email, Mentorship.state,
                                      Mentorship.request_closed_as)
                               .join(Person, Person.id == Mentorship.mentor_id)
                               .order_by(Mentorship.id))
        return [tuple(r) for r in rows]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_an_unanswered_request_expires_and_a_click_asks_the_next_best_mentor(app, sink, clock,
                                                                            receiver, lang):
    words, talk = WORDS[lang], Conversation(app, sink, smtp_port=receiver)
    imported(app, lang)
    listing = one_to(talk.write(MIA, HELLO, words["mentors"], ""), MIA)
    address, subject = link_to(listing.text(), f"{words['request']} otto-mentor")
    talk.write(MIA, address, subject, subject)
    assert requests(app) == [(OTTO, "requested", "")]

    for day in (3, 7, 10, 13):
        assert [m for m in at(talk, clock, START + timedelta(days=day)) if MIA in m.rcpt_tos] == []
    assert requests(app) == [(OTTO, "requested", "")], "reminded, not withdrawn before 14 days"

    expired = at(talk, clock, START + timedelta(days=14))
    told = one_to(expired, MIA)
    assert str(told.message["Subject"]) == words["expired"]
    assert str(one_to(expired, OTTO).message["Subject"]) == words["withdrawn"]
    assert requests(app) == [(OTTO, "declined", "expired")]
    offers = re.findall(r"^\d\. (.+) \((\S+)\)\r?$", told.text(), re.MULTILINE)
    assert offers == [("Ada Lovelace", "ada-lovelace"), ("Ben Far", "ben-far")], \
        "best fit first; not Otto again, not Cai who has no free place"
    assert words["shared"] in told.text()

    address, subject = link_to(told.text(), f"{words['request']} ada-lovelace")
    with app.store.reading() as session:
        mia_id = session.scalar(select(Person.id).where(Person.email == MIA))
    assert app.signer.read(address).person_id == mia_id, "the offer's link is bound to Mia"
    clicked = talk.write(MIA, address, subject, subject)
    assert "Mia Mentee" in one_to(clicked, ADA).text()
    one_to(clicked, MIA)
    assert requests(app) == [(OTTO, "declined", "expired"), (ADA, "requested", "")]


def stats(talk: Conversation, word: str) -> str:
    address = talk.app.settings.coordinators_address
    return one_to(talk.write(COORDINATOR, address, word, word), COORDINATOR).text()


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_decline_reason_reaches_no_mail_of_the_mentee_and_the_figures_count_it(app, sink, clock,
                                                                                receiver, lang):
    words, talk = WORDS[lang], Conversation(app, sink, smtp_port=receiver)
    imported(app, lang)
    listing = one_to(talk.write(MIA, HELLO, words["mentors"], ""), MIA)
    address, subject = link_to(listing.text(), f"{words['request']} otto-mentor")
    talk.write(MIA, address, subject, subject)
    offer = one_to(at(talk, clock, START + timedelta(days=14)), MIA)
    address, subject = link_to(offer.text(), f"{words['request']} ada-lovelace")
    request = one_to(talk.write(MIA, address, subject, subject), ADA)

    answered = talk.reply(request, ADA, f"{words['decline']}\n\n{REASON}")
    assert words["kept"] in one_to(answered, ADA).text()
    one_to(answered, MIA)  # told kindly, without the reason
    with app.store.reading() as session:
        closed = session.execute(select(Mentorship.request_closed_as, Mentorship.decline_reason)
                                 .order_by(Mentorship.id)).all()
    assert [tuple(r) for r in closed] == [("expired", ""), ("declined", REASON)]

    to_mia = [m for m in sink.received if MIA in m.rcpt_tos]
    assert len(to_mia) == 5  # listing, request sent, expiry with offers, request sent, declined
    assert [m for m in to_mia if "department" in m.text() or "department" in m.html()] == []
    assert words["counted"] in stats(talk, words["stats"])
