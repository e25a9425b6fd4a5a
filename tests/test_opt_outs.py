"""Bulk mail a person can stop: every reminder, check-in and digest carries List-Unsubscribe (RFC 2369) with a
signed mailto: address; a mail to it from the person's own address stops that kind of mail (the jobs send no
more of it, everything the mentorship needs still comes), SUBSCRIBE takes it back, and a forged From changes
nothing. Mail comes in through the real SMTP receiver; the jobs run on the settable clock."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from mailflow.jobs import scheduler as jobs
from mailflow.store.models import Mentorship, Person

from .support.conversation import Conversation, one_to, said
from .test_joining_to_agreement import HELLO, MENTEE, MENTOR, WORDS, imported, link_in

COORDINATOR, OTHER_COORDINATOR = "coord@example.org", "cora@example.org"
BOTH = sorted([COORDINATOR, OTHER_COORDINATOR])
ATTACKER = "mallory@evil.test"
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
REMINDER = "Reminder: Mia Mentee is waiting for your answer"


APP_SETTINGS = dict(language="en", coordinators=f"{COORDINATOR},{OTHER_COORDINATOR}")


@pytest.fixture
def talk(app, sink, receiver) -> Conversation:
    return Conversation(app, sink, receiver)


def at(talk: Conversation, moment: datetime) -> list:
    """Every due job as of moment, and what it sent."""
    talk.app.clock.set(moment)
    jobs.run_due(talk.app, moment)
    return talk.new_mail()


def to(mails, address: str) -> list[str]:
    return [str(m.message["Subject"]) for m in mails if m.rcpt_tos == (address,)]


def unsubscribe_of(mail) -> tuple[str, str]:
    """The mailto: address and subject of a mail's List-Unsubscribe header, read as RFC 2369 writes it."""
    header = str(mail.message["List-Unsubscribe"]).strip()  # folded after the name: a line of its own
    found = re.fullmatch(r"<mailto:([^?>]+)\?([^>]+)>", header)
    assert found, f"no mailto: in List-Unsubscribe {header!r}"
    assert mail.message["List-Unsubscribe-Post"] is None, "no one-click POST without an HTTPS URI (RFC 8058)"
    return found.group(1), parse_qs(found.group(2))["subject"][0]


def requested(talk: Conversation) -> None:
    words = WORDS["en"]
    imported(talk.app, "en")
    listing = one_to(talk.write(MENTEE, HELLO, words["mentors"], ""), MENTEE)
    address = link_in(listing.text(), f"{words['request']} otto-mentor")
    talk.write(MENTEE, address, f"{words['request']} otto-mentor", "REQUEST otto-mentor")


def test_a_mentor_who_unsubscribes_from_a_reminder_gets_no_second_one_but_the_coordinators_are_told(talk):
    requested(talk)
    reminder = one_to(at(talk, START + timedelta(days=3)), MENTOR)
    assert reminder.message["Subject"] == REMINDER
    address, subject = unsubscribe_of(reminder)
    assert subject == "UNSUBSCRIBE"

    [ack] = talk.write(MENTOR, address, subject, subject)
    assert ack.rcpt_tos == (MENTOR,)
    assert ack.message["Subject"] == "No more reminders – unsubscribed"
    assert "send SUBSCRIBE to hello@mentoring.test: mailto:hello@mentoring.test?subject=SUBSCRIBE" in said(ack)

    later = at(talk, START + timedelta(days=7))
    assert to(later, MENTOR) == [], "no second reminder"
    overdue = at(talk, START + timedelta(days=10))
    assert to(overdue, MENTOR) == []
    assert "Waiting for more than 10 days: 1 item" in to(overdue, COORDINATOR), "the coordinators still hear of it"


def test_after_subscribe_the_checkin_comes_again_and_the_mentee_was_never_affected(talk):
    requested(talk)
    mentor_reminder = one_to(at(talk, START + timedelta(days=3)), MENTOR)
    address, subject = unsubscribe_of(mentor_reminder)
    talk.write(MENTOR, address, subject, subject)
    talk.write(MENTOR, address, subject, subject)  # a second click: told once more, nothing else

    asked = one_to(talk.write(MENTOR, HELLO, "SUBSCRIBE", "SUBSCRIBE"), MENTOR)
    assert asked.message["Subject"] == "Please confirm: SUBSCRIBE", "a From: alone proves nothing"
    [back] = talk.reply(asked, MENTOR, "YES")
    assert back.message["Subject"] == "Reminders subscribed again"
    assert to(at(talk, START + timedelta(days=7)), MENTOR) == [REMINDER]


def test_a_forged_from_to_a_participants_unsubscribe_address_changes_nothing(talk):
    requested(talk)
    address, subject = unsubscribe_of(one_to(at(talk, START + timedelta(days=3)), MENTOR))
    assert talk.write(ATTACKER, address, subject, subject) == [], "refused and not answered"
    assert talk.write(MENTEE, address, subject, subject) == [], "not even the other side of the mentorship"
    assert to(at(talk, START + timedelta(days=7)), MENTOR) == [REMINDER], "the mentor still gets reminded"


def test_a_coordinator_unsubscribes_from_the_digest_and_the_other_coordinator_still_gets_it(talk):
    first = at(talk, START)
    digests = {m.rcpt_tos[0]: m for m in first}
    assert sorted(digests) == BOTH
    address, subject = unsubscribe_of(digests[COORDINATOR])
    assert address != unsubscribe_of(digests[OTHER_COORDINATOR])[0], "each coordinator's own address"

    assert talk.write(ATTACKER, address, subject, subject) == [], "a stranger changes nothing, hears nothing"
    assert sorted(m.rcpt_tos[0] for m in at(talk, START + timedelta(days=1))) == BOTH
    not_hers = one_to(talk.write(OTHER_COORDINATOR, address, subject, subject), OTHER_COORDINATOR)
    assert not_hers.message["Subject"] == "This link no longer works – nothing changed"
    assert "came in a mail to another coordinator" in said(not_hers)

    [ack] = talk.write(COORDINATOR, address, subject, subject)
    assert ack.message["Subject"] == "No more digests – unsubscribed"
    assert "mailto:coordinators@mentoring.test?subject=SUBSCRIBE" in said(ack)
    assert [m.rcpt_tos[0] for m in at(talk, START + timedelta(days=2))] == [OTHER_COORDINATOR]

    asked = one_to(talk.write(COORDINATOR, "coordinators@mentoring.test", "SUBSCRIBE", "SUBSCRIBE"), COORDINATOR)
    [back] = talk.reply(asked, COORDINATOR, "YES")
    assert back.message["Subject"] == "Digest subscribed again"
    assert sorted(m.rcpt_tos[0] for m in at(talk, START + timedelta(days=3))) == BOTH


def test_the_checkin_carries_list_unsubscribe_in_the_persons_language(talk):
    imported(talk.app, "de")
    with talk.app.store.transaction() as session:
        mentee, mentor = (session.scalar(select(Person).where(Person.email == e)) for e in (MENTEE, MENTOR))
        session.add(Mentorship(mentee_id=mentee.id, mentor_id=mentor.id, state="active", request_note="",
                               requested_at=START, answered_at=START, activated_at=START,
                               last_activity_at=START))
    checkins = at(talk, START + timedelta(days=29))
    assert to(checkins, MENTEE) == ["Wie läuft Ihr Mentoring mit Otto Mentor?"]
    address, subject = unsubscribe_of(one_to(checkins, MENTEE))
    assert subject == "ABBESTELLEN"
    [ack] = talk.write(MENTEE, address, subject, subject)
    assert ack.message["Subject"] == "Keine Erinnerungen mehr – abbestellt"

    quiet_again = at(talk, START + timedelta(days=29 + 29))
    assert to(quiet_again, MENTEE) == [], "the mentee asked for no more check-ins, nor pulses"
    assert sorted(to(quiet_again, MENTOR)) == ["Wie läuft Ihr Mentoring mit Mia Mentee?",
                                               "Wie läuft Ihr Mentoring mit Mia Mentee? Eine Frage, 1–5"]
