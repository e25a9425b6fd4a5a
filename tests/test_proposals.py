"""Batch matching through the real SMTP receiver: PROPOSE for 30 generated people answers with the
best overall assignment, one scored line per pair; MATCH ALL (confirmed first) sends a request per
line, and a line whose mentee found a mentor in between is not sent and said so. MATCH 3 means the
line of the proposal whose mail it answers, even after a newer proposal."""
from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import func, select

from mailflow.domain.people import import_rows
from mailflow.parsers.people_csv import read_people_csv
from mailflow.store.models import Mentorship, Person, ProposalLine

from .support.conversation import Conversation, one_to

COORDINATOR, COORDINATORS = "coord@example.org", "coordinators@mentoring.test"
TOPICS = ("Career planning", "Public speaking", "Leadership", "Data science", "Negotiation",
          "Founding", "Writing", "Design")
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo")
WORDS = {
    "en": dict(propose="PROPOSE", match="MATCH", all="ALL", confirm="Please confirm", yes="YES",
               taken="has a request or a mentorship now", sent_before="sent before"),
    "de": dict(propose="VORSCHLAG", match="ZUORDNEN", all="ALLE", confirm="Bitte bestätigen",
               yes="JA", taken="hat inzwischen eine Anfrage oder ein Mentoring",
               sent_before="schon früher verschickt"),
}
LINE = re.compile(r"^(\d+)\. (.+) -> (.+) \((\S+)\): (-?[\d.]+) ", re.MULTILINE)


APP_SETTINGS = dict(language="en")


def generated_people(app) -> None:
    """18 mentees and 12 mentors with 15 places in all: three mentees are left without one."""
    pick = random.Random(16)
    rows = ["email,name,role,language,timezone,topics,capacity"]
    for n in range(18):
        topics = ";".join(pick.sample(TOPICS, 2))
        rows.append(f"mentee{n}@example.org,Mentee {n:02},mentee,{pick.choice('de en'.split())},"
                    f"{pick.choice(ZONES)},{topics},")
    for n in range(12):
        topics = ";".join(pick.sample(TOPICS, 3))
        rows.append(f"mentor{n}@example.org,Mentor {n:02},mentor,{pick.choice('de en'.split())},"
                    f"{pick.choice(ZONES)},{topics},{2 if n < 3 else 1}")
    with app.store.transaction() as session:
        people = read_people_csv("\n".join(rows) + "\n")
        assert people.errors == ()
        import_rows(session, app.settings, people.rows, app.clock.now())


def confirmed(talk: Conversation, mails: list, words: dict) -> list:
    """The coordinator's YES to the confirmation of a state-changing command."""
    asked = one_to(mails, COORDINATOR)
    assert str(asked.message["Subject"]).startswith(words["confirm"]), asked.message["Subject"]
    return talk.reply(asked, COORDINATOR, words["yes"])


def request_mails(mails: list) -> list:
    return [m for m in mails if str(m.message["Subject"]).startswith(
        ("Mentoring request from", "Mentoring-Anfrage von"))]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_propose_for_thirty_people_and_match_all_sends_the_requests(app, sink, receiver, lang):
    words, talk = WORDS[lang], Conversation(app, sink, smtp_port=receiver)
    generated_people(app)
    proposal = one_to(talk.write(COORDINATOR, COORDINATORS, words["propose"], words["propose"]),
                      COORDINATOR)
    lines = LINE.findall(proposal.text())
    assert [int(n) for n, *_ in lines] == list(range(1, 16)), "one line per free place"
    assert len({mentee for _, mentee, *_ in lines}) == 15
    handles = [handle for *_, handle, _ in lines]
    assert all(handles.count(f"mentor-{n:02}") <= (2 if n < 3 else 1) for n in range(12))
    assert proposal.text().count("<mentee") == 3, "three mentees listed without a place"
    scores = [float(score) for *_, score in lines]
    assert scores == sorted(scores, reverse=True)
    with app.store.reading() as session:
        stored = session.scalar(select(func.sum(ProposalLine.score)))
    assert stored == pytest.approx(sum(scores))

    # a mentor joins, and line 2's mentee is matched to her by hand before the coordinator
    # accepts the proposal
    with app.store.transaction() as session:
        people = read_people_csv("email,name,role,language,timezone,topics,capacity\n"
                                 "nova@example.org,Nova New,mentor,en,Europe/Berlin,Design,1\n")
        import_rows(session, app.settings, people.rows, app.clock.now())
    taken_mentee = lines[1][1]
    typed = f"{words['match']} {_email(app, taken_mentee)} nova-new"
    confirmed(talk, talk.write(COORDINATOR, COORDINATORS, typed, typed), words)

    asked = talk.reply(proposal, COORDINATOR, f"{words['match']} {words['all']}")
    done = confirmed(talk, asked, words)
    assert len(request_mails(done)) == 14, "a request per line, not for the stale line 2"
    answer = one_to(done, COORDINATOR).text()
    assert f"2. {taken_mentee} -> {lines[1][2]}: {taken_mentee} {words['taken']}" in answer
    with app.store.reading() as session:
        assert session.scalar(select(func.count(Mentorship.id))
                              .where(Mentorship.state == "requested")) == 15

    again = talk.reply(proposal, COORDINATOR, f"{words['match']} 3")
    assert request_mails(confirmed(talk, again, words)) == []
    assert f"3. {lines[2][1]} -> {lines[2][2]}: {words['sent_before']}" in sink.received[-1].text()


def _email(app, name: str) -> str:
    with app.store.reading() as session:
        return session.scalar(select(Person.email).where(Person.name == name))


def test_match_lines_answer_the_proposal_they_reply_to(app, sink, receiver):
    words, talk = WORDS["en"], Conversation(app, sink, smtp_port=receiver)
    generated_people(app)
    first = one_to(talk.write(COORDINATOR, COORDINATORS, "PROPOSE", "PROPOSE"), COORDINATOR)
    first_lines = LINE.findall(first.text())
    with app.store.transaction() as session:  # people change: a mentor leaves the programme
        session.scalar(select(Person).where(Person.handle == first_lines[0][3])).capacity = 0
    second = one_to(talk.write(COORDINATOR, COORDINATORS, "PROPOSE", "PROPOSE"), COORDINATOR)
    assert str(second.message["Subject"]).startswith("Proposal 2:")
    assert LINE.findall(second.text())[:3] != first_lines[:3]

    done = confirmed(talk, talk.reply(first, COORDINATOR, "MATCH 2 3"), words)
    answer = one_to(done, COORDINATOR)
    assert str(answer.message["Subject"]) == "Proposal 1: 2 requests sent"
    for number, mentee, mentor, *_ in first_lines[1:3]:
        assert f"{number}. {mentee} -> {mentor} (mentorship" in answer.text()
    assert len(request_mails(done)) == 2

    unknown = confirmed(talk, talk.reply(first, COORDINATOR, "MATCH 99"), words)
    assert "Proposal 1 has 15 lines; there is no line 99" in one_to(unknown, COORDINATOR).text()
