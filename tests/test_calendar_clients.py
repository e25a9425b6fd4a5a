"""Real calendar clients answer our invitations: aerc, headless in tmux, accepts, tentatively
accepts or declines the invitation mail exactly as the mentor got it, sends the REPLY it built to
the app's real SMTP receiver, and mailflow takes each answer as it should, on SQLite and
PostgreSQL: a single meeting, one of three offered slots, a whole series and one moved occurrence
of it.

What aerc 0.14 sends, seen here: the invitation's VEVENT copied whole (RRULE, RECURRENCE-ID and
SEQUENCE kept, only our ATTENDEE line left, with its PARTSTAT), addressed to the mail's Reply-To
(our reply+ address, which names the meeting, slot or series) rather than to the ORGANIZER."""
from __future__ import annotations

import email
import re
from datetime import timedelta, timezone
from email.policy import default

import pytest

from mailflow.domain.completion import held_meetings
from mailflow.store.models import Mentorship

from .aerc import ANSWERS, running_aerc
from .support.conversation import Conversation, one_to
from .support.mails import taken
from .support.vcal import read_calendar
from .test_meeting_slots_and_series import (
    SERIES_STARTS, assert_chosen, meetings_of, offer_slots, propose_series,
)
from .test_meetings import MENTEE, MENTOR, active_pair, calendar_of, meeting_row, propose

# aerc's PARTSTAT, what the meeting becomes, and how the proposer (Mia) is told
ANSWERED = {"accept": ("ACCEPTED", "confirmed", "Otto Mentor accepted the meeting on"),
            "accept-tentative": ("TENTATIVE", "tentative",
                                 "Otto Mentor may come to the meeting on"),
            "decline": ("DECLINED", "declined", "Otto Mentor cannot come on")}


def inbound_count(app) -> int:
    """What the receiver took, SQLite's spooled mail moved in first (as a worker would)."""
    return len(taken(app.store))


def last_inbound(app) -> bytes:
    return taken(app.store)[-1].raw


def reply_of(raw: bytes):
    """The calendar object aerc sent, read by vobject."""
    message = email.message_from_bytes(raw, policy=default)
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), read_calendar(part.get_content())


def aerc_answers(app, aerc, invitation, command: str):
    """aerc answers the invitation mail with :command; returns the calendar object it sent."""
    before = inbound_count(app)
    aerc.answer(invitation.raw, command, arrived=lambda: inbound_count(app) > before)
    method, reply = reply_of(last_inbound(app))
    assert method == "REPLY" and reply.method.value == "REPLY"
    [attendee] = reply.vevent.attendee_list
    assert attendee.value.lower() == f"mailto:{MENTOR}"
    assert attendee.params["PARTSTAT"] == [ANSWERED[command][0]]
    return reply


@pytest.mark.parametrize("command", ANSWERS)
def test_aerc_answers_a_single_meeting(app, sink, receiver, command):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, "en")
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    assert meeting_row(app).state == "proposed"

    with running_aerc(f"Otto Mentor <{MENTOR}>", receiver) as aerc:
        reply = aerc_answers(app, aerc, invitation, command)
    assert reply.vevent.uid.value == meeting_row(app).uid
    told = one_to(talk.new_mail(), MENTEE)
    _, state, subject = ANSWERED[command]
    assert meeting_row(app).state == state
    assert told.message["Subject"].startswith(subject), told.message["Subject"]


# ---------------------------------------------------------------- slots

def test_aerc_accepts_the_second_of_three_slots_the_others_are_cancelled(app, sink, receiver):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, "en")
    slot_mails, _ = offer_slots(app, talk, "en")
    second = calendar_of(slot_mails[1])[1].vevent
    assert second.status.value == "TENTATIVE"

    with running_aerc(f"Otto Mentor <{MENTOR}>", receiver) as aerc:
        reply = aerc_answers(app, aerc, slot_mails[1], "accept")
    assert reply.vevent.uid.value == second.uid.value
    assert_chosen(app, talk.new_mail(), slot_mails, chosen=2)


def test_aerc_declines_one_slot_the_others_stay_open(app, sink, receiver):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, "en")
    slot_mails, _ = offer_slots(app, talk, "en")

    with running_aerc(f"Otto Mentor <{MENTOR}>", receiver) as aerc:
        reply = aerc_answers(app, aerc, slot_mails[0], "decline")
    assert reply.vevent.uid.value == calendar_of(slot_mails[0])[1].vevent.uid.value
    assert talk.new_mail() == [], "nobody is told while two slots are still open"
    assert [m.state for m in meetings_of(app)] == ["declined", "offered", "offered"]


# ---------------------------------------------------------------- series

def test_aerc_accepts_a_series_then_declines_one_moved_occurrence_it_counts_five(
        app, sink, clock, receiver):
    talk = Conversation(app, sink, smtp_port=receiver)
    mentorship_id = active_pair(app, "en")
    sent = propose_series(app, talk, "en")
    series_mail, to_mia = one_to(sent, MENTOR), one_to(sent, MENTEE)
    uid = calendar_of(series_mail)[1].vevent.uid.value

    with running_aerc(f"Otto Mentor <{MENTOR}>", receiver) as aerc:
        whole = aerc_answers(app, aerc, series_mail, "accept")
        assert whole.vevent.uid.value == uid
        assert whole.vevent.rrule.value == calendar_of(series_mail)[1].vevent.rrule.value
        assert not hasattr(whole.vevent, "recurrence_id"), "aerc answers the whole series"
        told = one_to(talk.new_mail(), MENTEE)
        assert told.message["Subject"] == "Otto Mentor accepted the meetings every 2 weeks, 6 times"
        assert [m.state for m in meetings_of(app)] == ["confirmed"] * 6

        request = one_to(move_third_occurrence(talk, to_mia), MENTOR)
        assert calendar_of(request)[1].vevent.recurrence_id.value.astimezone(timezone.utc) \
            == SERIES_STARTS[2]
        one = aerc_answers(app, aerc, request, "decline")
    assert one.vevent.uid.value == uid and int(one.vevent.sequence.value) == 1
    assert one.vevent.recurrence_id.value.astimezone(timezone.utc) == SERIES_STARTS[2], \
        "aerc keeps the RECURRENCE-ID of the occurrence it answers"
    to = email.message_from_bytes(last_inbound(app), policy=default)["To"].addresses[0]
    assert to.username.startswith("reply+meeting."), "to the moved occurrence's Reply-To"
    told = one_to(talk.new_mail(), MENTEE)
    assert told.message["Subject"].startswith("Otto Mentor cannot come on 2027-01-08")
    assert [m.state for m in meetings_of(app)] == ["confirmed"] * 2 + ["declined"] + \
        ["confirmed"] * 3

    clock.set(SERIES_STARTS[-1] + timedelta(hours=2))
    with app.store.transaction() as session:
        held = held_meetings(session, session.get(Mentorship, mentorship_id), clock.now())
    assert [m.starts_at for m in held] == SERIES_STARTS[:2] + SERIES_STARTS[3:]


def move_third_occurrence(talk: Conversation, to_mia):
    """Mia writes a new date to the third occurrence's address in her series mail (the
    occurrence alone moves: a REQUEST with its RECURRENCE-ID and SEQUENCE 1, to both)."""
    link = re.search(r"^  3\. .*: mailto:(\S+?)\?", to_mia.text(), re.MULTILINE).group(1)
    assert link.startswith("reply+meeting.")
    return talk.write(MENTEE, link, "Another date", "Date: 2027-01-08\nTime: 15:00\n"
                      "Duration: 60\nPlace: https://meet.example/abc\nTopic: Career plan\n")
