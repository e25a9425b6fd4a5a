"""Nobody acts in another's name: a forged From: through a reply address that is bound to nobody (a stranger's
application form, the coordinators' one-click link) or through hello@ changes nothing; the real owner of the
address is asked to confirm, in their own mailbox, and only their YES acts. Everything comes in through the real
SMTP receiver."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from mailflow.domain.coordinator_links import command_link
from mailflow.receive.smtp import smtp_controller
from mailflow.store.models import InboundMessage, Meeting, Mentorship, Person
from mailflow.tokens import Token

from .support.conversation import Conversation, _address, one_to
from .support.mails import person_mail, process, smtp_send
from .support.ports import free_port
from .support.running import HELLO, MENTEE, MENTEE_NAME, MENTOR, running_mentorship

ATTACKER = "mallory@evil.test"
APPLICATION = """name: Mallory Takeover
role: mentor
language: en
time zone: Pacific/Fiji
capacity: 3
topics: Career planning
"""


def upcoming_meeting(app, mentorship_id: int) -> int:
    """A confirmed meeting a week from now."""
    begins = app.clock.now() + timedelta(days=7)
    with app.store.transaction() as session:
        meeting = Meeting(mentorship_id=mentorship_id, uid=f"next-{mentorship_id}@test", sequence=0,
                          starts_at=begins, ends_at=begins + timedelta(hours=1), tzid="Europe/Berlin",
                          place="Online", topic="Next", closing=False, state="confirmed",
                          created_at=app.clock.now(), proposed_by_id=None)
        session.add(meeting)
        session.flush()
        return meeting.id


def meeting_state(app, meeting_id: int) -> str:
    with app.store.transaction() as session:
        return session.get(Meeting, meeting_id).state


def stranger_reply_address(talk: Conversation) -> str:
    """The reply address of the application form any stranger gets from hello@."""
    [form] = talk.write(ATTACKER, HELLO, "Hello", "I would like to join")
    assert form.rcpt_tos == (ATTACKER,)
    return _address(form.message["Reply-To"])


def test_a_command_through_a_strangers_reply_address_with_a_forged_from_needs_the_owners_yes(
        app, sink, receiver):
    mentorship = running_mentorship(app)
    meeting = upcoming_meeting(app, mentorship)
    talk = Conversation(app, sink, receiver)
    address = stranger_reply_address(talk)

    sent = talk.write(MENTEE, address, "CANCEL", "CANCEL")
    assert meeting_state(app, meeting) == "confirmed"
    question = one_to(sent, MENTEE)
    assert len(sent) == 1, "neither the mentor nor the attacker hears of it"
    assert question.message["Subject"] == "Please confirm: CANCEL"

    talk.reply(question, MENTEE, "YES")
    assert meeting_state(app, meeting) == "cancelled", "the owner's own YES acts"


def test_an_application_with_a_forged_from_does_not_rewrite_a_known_person(app, sink, receiver):
    running_mentorship(app)
    talk = Conversation(app, sink, receiver)

    sent = talk.write(MENTEE, HELLO, "APPLY", APPLICATION)
    with app.store.transaction() as session:
        person = session.scalar(select(Person).where(Person.email == MENTEE))
        assert (person.name, person.role, person.timezone) == (MENTEE_NAME, "mentee", "Europe/Berlin")
    assert [m.rcpt_tos for m in sent] == [(MENTEE,)], "only the real owner is asked"
    assert sent[0].message["Subject"] == "Please confirm: name: Mallory Takeover"


def test_the_coordinators_link_with_a_forged_coordinator_from_asks_the_coordinator_first(
        app, sink, receiver):
    mentorship = running_mentorship(app)
    talk = Conversation(app, sink, receiver)
    link = command_link(app.signer, f"END {mentorship}", "coord@example.org", app.clock.now())
    address = link.removeprefix("mailto:").split("?")[0]

    sent = talk.write("coord@example.org", address, f"END {mentorship}", f"END {mentorship}")
    with app.store.transaction() as session:
        assert session.get(Mentorship, mentorship).state == "active"
    question = one_to(sent, "coord@example.org")
    assert len(sent) == 1 and not any(m.rcpt_tos in ((MENTEE,), (MENTOR,)) for m in sent)

    done = talk.reply(question, "coord@example.org", "YES")
    with app.store.transaction() as session:
        assert session.get(Mentorship, mentorship).state == "completed"
    assert {m.rcpt_tos for m in done} >= {(MENTEE,), (MENTOR,)}, "both get their certificates"


@pytest.fixture
def trusting_receiver(trusting_mta_app):
    settings = replace(trusting_mta_app.settings, smtp_listen=f"127.0.0.1:{free_port()}")
    controller, handler = smtp_controller(settings, trusting_mta_app.ingest)
    controller.start()
    yield controller.port
    controller.stop()
    handler.close()


@pytest.mark.parametrize("from_header", [
    f"{MENTOR} <{ATTACKER}>", f"{MENTOR} (Minh) <{ATTACKER}>", f'"{MENTOR}"@evil.test',
    f"Minh <{MENTOR}>, {ATTACKER}"])
def test_a_from_header_built_to_be_read_as_someone_else_names_nobody(trusting_mta_app, trusting_receiver,
                                                                      sink, from_header):
    """A stolen reply address of the mentor, a From that a lenient parser reads as the mentor, and the
    MTA's honest DMARC pass for the attacker's own domain: the YES to END is refused, nothing ends."""
    app = trusting_mta_app
    mentorship = running_mentorship(app)
    with app.store.transaction() as session:
        row = session.get(Mentorship, mentorship)
        row.state, row.end_requested_by_id, row.end_requested_at = "ending", row.mentee_id, app.clock.now()
        mentor_id = row.mentor_id
    address = app.signer.address(Token("reply", "end", mentorship, mentor_id))
    mail = person_mail(ATTACKER, address, "Re: end", "YES", Authentication_Results=(
        "mx.mentoring.test; dkim=pass header.d=evil.test; dmarc=pass header.from=evil.test"))
    mail.replace_header("From", from_header)
    smtp_send(trusting_receiver, mail, ATTACKER, [address])
    process(app)
    with app.store.transaction() as session:
        assert session.get(Mentorship, mentorship).state == "ending"
        assert session.scalar(select(InboundMessage.state)) in ("refused", "ignored")
    assert sink.received == []


def test_a_confirmation_after_its_week_carries_nothing_out(app, sink, receiver, clock):
    """A confirmation question kept in a mailbox (or found in a leaked one) for more than a week no
    longer acts: the owner is told to send the command again."""
    mentorship = running_mentorship(app)
    meeting = upcoming_meeting(app, mentorship)
    talk = Conversation(app, sink, receiver)
    [question] = talk.write(MENTEE, HELLO, "CANCEL", "CANCEL")
    clock.advance(timedelta(days=8))
    [expired] = talk.reply(question, MENTEE, "YES")
    assert meeting_state(app, meeting) == "confirmed"
    assert "more than a week" in expired.text() and expired.rcpt_tos == (MENTEE,)
