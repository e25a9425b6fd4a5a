"""The digest's one-click links are signed for the one coordinator each digest is sent to and for its day: another
coordinator's use of them, or their use after 14 days, changes nothing and gets a polite answer; in time and by
their own coordinator they still ask for the YES in the coordinator's own mailbox. And links with a lifetime of
their own: a deletion confirmed after a week deletes nothing; a meeting that has ended takes no more answers."""
from __future__ import annotations

from datetime import timedelta

from mailflow.domain.coordinator_links import coordinator_token
from mailflow.jobs import digest
from mailflow.store.models import Meeting, Mentorship, Person
from mailflow.tokens import Token

from .support.conversation import Conversation, one_to, said
from .support.running import HELLO, MENTEE, MENTOR, running_mentorship
from .test_forged_senders import upcoming_meeting

COORDINATOR, OTHER_COORDINATOR = "coord@example.org", "cora@example.org"
EXPIRED = "This link no longer works – nothing changed"


APP_SETTINGS = dict(language="en", coordinators=f"{COORDINATOR},{OTHER_COORDINATOR}")


def end_link_of(talk: Conversation, coordinator: str, mentorship: int) -> str:
    """The END link of the digest sent to coordinator today (the link's address)."""
    assert digest.send_digest(talk.app, talk.app.clock.now()) == 1
    mail = one_to(talk.new_mail(), coordinator)
    address = talk.app.signer.address(coordinator_token(coordinator, talk.app.clock.now()))
    assert f"mailto:{address}?subject=" in said(mail), "the digest's links are this coordinator's today"
    return address


def state_of(app, mentorship: int) -> str:
    with app.store.reading() as session:
        return session.get(Mentorship, mentorship).state


def test_a_coordinators_link_used_by_another_coordinator_does_nothing_but_say_so(app, sink, receiver):
    mentorship = running_mentorship(app)
    talk = Conversation(app, sink, receiver)
    address = end_link_of(talk, COORDINATOR, mentorship)

    [told] = talk.write(OTHER_COORDINATOR, address, f"END {mentorship}", f"END {mentorship}")
    assert told.rcpt_tos == (OTHER_COORDINATOR,)
    assert told.message["Subject"] == EXPIRED
    assert "came in a mail to another coordinator" in said(told)
    assert state_of(app, mentorship) == "active"

    asked = one_to(talk.write(COORDINATOR, address, f"END {mentorship}", f"END {mentorship}"), COORDINATOR)
    assert asked.message["Subject"] == f"Please confirm: END {mentorship}", "its own coordinator is asked"
    talk.reply(asked, COORDINATOR, "YES")
    assert state_of(app, mentorship) == "completed"


def test_a_coordinators_link_15_days_later_does_nothing_but_say_so(app, sink, clock, receiver):
    mentorship = running_mentorship(app)
    talk = Conversation(app, sink, receiver)
    address = end_link_of(talk, COORDINATOR, mentorship)

    clock.advance(timedelta(days=15))
    [told] = talk.write(COORDINATOR, address, f"END {mentorship}", f"END {mentorship}")
    assert told.message["Subject"] == EXPIRED
    assert "the links of a digest work for two weeks" in said(told)
    assert state_of(app, mentorship) == "active"
    assert talk.write("mallory@evil.test", address, "STATS", "STATS") == [], "a stranger hears nothing"


def test_a_deletion_confirmed_after_a_week_deletes_nothing(app, sink, receiver, clock):
    running_mentorship(app)
    talk = Conversation(app, sink, receiver)
    question = one_to(talk.write(MENTEE, HELLO, "DELETE", "DELETE"), MENTEE)
    clock.advance(timedelta(days=8))
    [told] = talk.reply(question, MENTEE, "YES")
    assert told.message["Subject"] == EXPIRED
    assert "please send DELETE to hello@mentoring.test again" in said(told)
    with app.store.reading() as session:
        assert session.query(Person).filter_by(email=MENTEE).one().deleted_at is None


def test_a_meeting_that_has_ended_takes_no_more_answers(app, sink, receiver, clock):
    mentorship = running_mentorship(app)
    meeting = upcoming_meeting(app, mentorship)
    with app.store.transaction() as session:
        session.get(Meeting, meeting).state = "proposed"
    address = app.signer.address(Token("reply", "meeting", meeting, _id_of(app, MENTOR)))
    talk = Conversation(app, sink, receiver)
    clock.advance(timedelta(days=8))
    [told] = talk.write(MENTOR, address, "YES", "YES")
    assert "its invitation can no longer be answered" in said(told)
    with app.store.reading() as session:
        assert session.get(Meeting, meeting).state == "proposed"


def _id_of(app, email: str) -> int:
    with app.store.reading() as session:
        return session.query(Person).filter_by(email=email).one().id
