"""Real calendar clients answer our invitations: aerc, headless in tmux, accepts, tentatively accepts
or declines the invitation mail exactly as the mentor got it, sends the REPLY it built to the app's
real SMTP receiver, and mailflow takes each answer as it should, on SQLite and PostgreSQL.

More scenarios need a few lines each: the invitation mail to answer (say the second slot's, or a
series' one), `aerc.answer(raw, command, arrived=...)`, and the state to expect."""
from __future__ import annotations

import email
from email.policy import default

import pytest
from sqlalchemy import func, select

from mailflow.store.models import InboundMessage

from .aerc import ANSWERS, running_aerc
from .support.conversation import Conversation, one_to
from .support.vcal import read_calendar
from .test_meetings import MENTEE, MENTOR, active_pair, meeting_row, propose

# aerc's PARTSTAT, what the meeting becomes, and how the proposer (Mia) is told
ANSWERED = {"accept": ("ACCEPTED", "confirmed", "Otto Mentor accepted the meeting on"),
            "accept-tentative": ("TENTATIVE", "tentative",
                                 "Otto Mentor may come to the meeting on"),
            "decline": ("DECLINED", "declined", "Otto Mentor cannot come on")}


def inbound_count(app) -> int:
    with app.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage))


def last_inbound(app) -> bytes:
    with app.store.transaction() as session:
        return session.scalar(select(InboundMessage.raw).order_by(InboundMessage.id.desc()))


def reply_of(raw: bytes):
    """The calendar object aerc sent, read by vobject."""
    message = email.message_from_bytes(raw, policy=default)
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), read_calendar(part.get_content())


@pytest.mark.parametrize("command", ANSWERS)
def test_aerc_answers_a_single_meeting(app, sink, receiver, command):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, "en")
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    assert meeting_row(app).state == "proposed"

    with running_aerc(f"Otto Mentor <{MENTOR}>", receiver) as aerc:
        before = inbound_count(app)
        aerc.answer(invitation.raw, command, arrived=lambda: inbound_count(app) > before)

    partstat, state, subject = ANSWERED[command]
    method, reply = reply_of(last_inbound(app))
    assert method == "REPLY" and reply.method.value == "REPLY"
    assert reply.vevent.uid.value == meeting_row(app).uid
    [attendee] = reply.vevent.attendee_list
    assert attendee.value.lower() == f"mailto:{MENTOR}"
    assert attendee.params["PARTSTAT"] == [partstat]
    told = one_to(talk.new_mail(), MENTEE)
    assert meeting_row(app).state == state
    assert told.message["Subject"].startswith(subject), told.message["Subject"]
