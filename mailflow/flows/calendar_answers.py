"""What calendar clients send to a meetings+ address: iTIP REPLY (accepted / declined / tentative),
COUNTER, CANCEL and, to a person's own meetings address, the REQUEST of an invitation made in their
own calendar.

An answer counts only from an attendee of the meeting answering for themselves (RFC 6047 §3): the
mail's sender is the mentee or the mentor, and the object carries an ATTENDEE line for that very
address. An answer to an older SEQUENCE than the meeting's is out of date and ignored. Subjects
("Accepted:", "Angenommen:") are not read: the calendar object says what was answered."""
from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..domain import meetings as svc
from ..domain.mentorships import is_party, other_side
from ..outcomes import Polite, Refused
from ..parsers.calendar_reply import CalendarAnswer, read_calendar
from ..parsers.choices import read_choice
from ..parsers.commands import Keyword, command_word
from ..parsers.forms import read_meeting
from ..reasons import Reason, Refusal
from ..store.models import Meeting, Mentorship, Person
from ..store.states import MeetingState
from ..tokens import Token
from . import help, meetings, slots
from .context import Context
from .finding import mentorship_of

log = logging.getLogger("mailflow.flows")
# what a person's own calendar sends to invite us
OWN_CALENDAR_METHODS = ("REQUEST", "CANCEL", "PUBLISH", "")
# answers typed by hand to a meetings address, in a mail without a calendar object
BY_HAND = {Keyword.YES: meetings.accept_by_reply, Keyword.ACCEPT: meetings.accept_by_reply,
           Keyword.NO: meetings.decline_by_reply, Keyword.DECLINE: meetings.decline_by_reply,
           Keyword.CANCEL: meetings.cancel}


def calendar_received(ctx: Context) -> str:
    """Mail to a meetings+ address (or a reply to an invitation without a keyword)."""
    reading = read_answers(ctx)
    if reading.problems:
        log.info("calendar parts skipped in inbound %s: %s", ctx.inbound.row_id,
                 "; ".join(reading.problems))
    token = ctx.inbound.token
    if not reading.answers:
        return _no_calendar(ctx)
    if token is not None and token.purpose == "plan":
        return _from_own_calendar(ctx, _planned_mentorship(ctx), reading.answers)
    meeting = ctx.session.get(Meeting, token.object_id) if token is not None else None
    if meeting is None:
        raise Refused(Refusal.NOT_OUR_MEETING)
    mentorship = ctx.session.get(Mentorship, meeting.mentorship_id)
    notes = []
    for answer in reading.answers:
        if answer.uid not in (svc.calendar_uid(meeting), meeting.source_uid):
            notes.append(f"UID {answer.uid[:60]} is not meeting {meeting.id}")
            continue
        notes.append(handle_answer(ctx, meeting, mentorship, answer))
        break  # one answer per mail: clients repeat the same object inline and as an attachment
    return "; ".join(notes) or "nothing to do"


def invitation_sent_to_us(ctx: Context) -> str:
    """An invitation from a participant's own calendar sent to hello@ (or in reply to one of our
    mails) rather than to their personal meetings address: the same as there, for the mentorship
    it names."""
    invitations = [a for a in read_answers(ctx).answers if a.method in OWN_CALENDAR_METHODS]
    if not invitations or ctx.person is None:
        return help.not_understood(ctx)
    return _from_own_calendar(ctx, _invited_mentorship(ctx, invitations[0]), invitations)


def reply_default(ctx: Context) -> str:
    """A reply to the invitation mail without a keyword: a calendar answer, the number of an
    offered slot, a meeting form (a new date), or something we do not understand."""
    if read_calendar(ctx.inbound.mail.message).answers:
        return calendar_received(ctx)
    choice = read_choice(ctx.inbound.new_text)
    if choice is not None:
        return slots.pick_by_number(ctx, choice)
    if read_meeting(ctx.inbound.mail.text).found_any:
        return meetings.propose(ctx)
    return help.not_understood(ctx)


def read_answers(ctx: Context):
    """The mail's calendar objects; times without a zone are in the sender's."""
    zone = ZoneInfo((ctx.person.timezone if ctx.person else None) or ctx.settings.timezone)
    return read_calendar(ctx.inbound.mail.message, default_tz=zone)


def handle_answer(ctx: Context, meeting: Meeting, mentorship: Mentorship,
                  answer: CalendarAnswer) -> str:
    method = answer.method or "REPLY"
    if method == "DECLINECOUNTER":
        return f"DECLINECOUNTER for meeting {meeting.id} noted (we organise it; nothing to change)"
    if method == "REFRESH":
        person = speaker(ctx, mentorship, answer)
        svc.send_invitations(ctx.send, ctx.settings, ctx.signer, meeting, mentorship, ctx.now,
                             accepted=_accepted(meeting, mentorship))
        return f"meeting {meeting.id}: invitation sent again for {person.email}"
    if method not in ("REPLY", "COUNTER", "CANCEL"):
        return f"{method} for meeting {meeting.id} ignored"
    person = speaker(ctx, mentorship, answer)
    if answer.sequence < meeting.sequence:
        return (f"{method} to sequence {answer.sequence} of meeting {meeting.id} "
                f"(now {meeting.sequence}) ignored")
    if method == "CANCEL":
        return meetings.cancel_meeting(ctx, meeting, mentorship, person)
    if method == "COUNTER":
        return _counter(ctx, meeting, mentorship, person, answer)
    partstat = answer.attendee(person.email).partstat
    return meetings.set_answer(ctx, meeting, mentorship, person, partstat)


def speaker(ctx: Context, mentorship: Mentorship, answer: CalendarAnswer) -> Person:
    """The participant who sent this answer, answering for themselves; anyone else is refused."""
    person = svc.participant(mentorship, ctx.inbound.sender)
    if person is None:
        raise Refused(Refusal.NOT_AN_ATTENDEE, sender=ctx.inbound.sender)
    if answer.attendee(person.email) is None:
        raise Refused(Refusal.ANSWERED_FOR_OTHERS, sender=ctx.inbound.sender,
                      attendees=", ".join(a.email for a in answer.attendees) or "no attendee")
    return person


def _accepted(meeting: Meeting, mentorship: Mentorship) -> tuple[int, ...]:
    if meeting.state == MeetingState.CONFIRMED:
        return (mentorship.mentee_id, mentorship.mentor_id)
    return (svc.proposer_of(meeting, mentorship).id,)


def _counter(ctx: Context, meeting: Meeting, mentorship: Mentorship, person: Person,
             answer: CalendarAnswer) -> str:
    """A new time proposed by an attendee: passed on to the other side with one-click
    accept / decline."""
    if meeting.state == MeetingState.CANCELLED:
        raise Polite(Reason.MEETING_CANCELLED, meeting=meeting.id)
    start = answer.start or meeting.starts_at
    end = answer.end or (start + (meeting.ends_at - meeting.starts_at))
    if start <= ctx.now or not svc.duration_ok(start, end):
        raise Polite(Reason.IMPOSSIBLE_COUNTER, start=start, end=end)
    meeting.counter_starts_at, meeting.counter_ends_at = start, end
    mentorship.last_activity_at = ctx.now
    other = other_side(mentorship, person)
    token = Token("reply", "counter", meeting.id, other.id)
    values = svc.meeting_values(meeting, mentorship, other)
    values.update(
        proposed=svc.time_for(other, mentorship, meeting, start, end),
        countered_by=person.name, comment=answer.comment,
        accept=ctx.link(token, command_word(Keyword.ACCEPT, other.language)),
        decline=ctx.link(token, command_word(Keyword.DECLINE, other.language)))
    ctx.send(ctx.mail_to(other, "meeting_counter", reply_token=token, values=values))
    return f"counter for meeting {meeting.id} from {person.email} passed to {other.email}"


def _planned_mentorship(ctx: Context) -> Mentorship:
    """The mentorship of a personal meetings+plan address, which only its owner may use."""
    mentorship = ctx.session.get(Mentorship, ctx.inbound.token.object_id)
    if mentorship is None or not is_party(mentorship, ctx.person):
        raise Refused(Refusal.PLANNED_FROM_OUTSIDE)
    return mentorship


def _invited_mentorship(ctx: Context, invitation: CalendarAnswer) -> Mentorship:
    """Which mentorship an invitation sent to hello@ is for: the one the reply token names, else
    the sender's only running mentorship, else the one whose other participant the invitation
    invites."""
    def invited(running: list[Mentorship]) -> list[Mentorship]:
        emails = {a.email for a in invitation.attendees}
        return [m for m in running if other_side(m, ctx.person).email in emails]
    return mentorship_of(ctx, narrow=invited)


def _from_own_calendar(ctx: Context, mentorship: Mentorship, answers) -> str:
    """An invitation (or its update, or its cancellation) from a participant's own calendar: we
    become the organiser of a meeting with our own UID and invite both; the client's UID is kept
    to recognise updates."""
    answer = next((a for a in answers if a.method in OWN_CALENDAR_METHODS), None)
    if answer is None:
        return "no invitation in the mail"
    existing = ctx.session.scalar(select(Meeting).where(Meeting.mentorship_id == mentorship.id,
                                                        Meeting.source_uid == answer.uid))
    if answer.method == "CANCEL":
        if existing is None:
            return f"CANCEL for unknown invitation {answer.uid[:60]} ignored"
        return meetings.cancel_meeting(ctx, existing, mentorship, ctx.person)
    meetings.require_agreement(ctx, mentorship)
    start, end = _invitation_time(ctx, answer)
    if existing is not None:
        return _moved_by_own_calendar(ctx, existing, mentorship, answer, start, end)
    meeting = svc.new_meeting(ctx.session, ctx.settings, mentorship=mentorship,
                              proposer=ctx.person, start=start, end=end,
                              tzid=ctx.person.timezone or ctx.settings.timezone,
                              place=answer.location[:500], topic=answer.summary[:300],
                              source_uid=answer.uid[:300], now=ctx.now)
    svc.send_invitations(ctx.send, ctx.settings, ctx.signer, meeting, mentorship, ctx.now,
                         accepted=(ctx.person.id,), values=_direct_too(ctx, mentorship, answer))
    return f"meeting {meeting.id} proposed from {ctx.person.email}'s calendar"


def _moved_by_own_calendar(ctx: Context, meeting: Meeting, mentorship: Mentorship,
                           answer: CalendarAnswer, start, end) -> str:
    """An update of an invitation from a participant's own calendar: the meeting moves (unless
    its time is unchanged)."""
    unchanged = (meeting.starts_at, meeting.ends_at) == (start, end)
    if unchanged and meeting.state != MeetingState.CANCELLED:
        return f"invitation {answer.uid[:60]} unchanged (meeting {meeting.id})"
    if meeting.state == MeetingState.CANCELLED:
        raise Polite(Reason.MEETING_CANCELLED, meeting=meeting.id)
    svc.move_meeting(meeting, mentorship=mentorship, proposer=ctx.person, start=start, end=end,
                     tzid=meeting.tzid, place=answer.location[:500] or meeting.place,
                     topic=answer.summary[:300], closing=meeting.closing, now=ctx.now)
    svc.send_invitations(ctx.send, ctx.settings, ctx.signer, meeting, mentorship, ctx.now,
                         accepted=(ctx.person.id,),
                         values={"moved": True, **_direct_too(ctx, mentorship, answer)})
    return f"meeting {meeting.id} moved by {ctx.person.email}'s calendar"


def _invitation_time(ctx: Context, answer: CalendarAnswer):
    """When the invited meeting starts and ends (an hour, if the invitation gives no end); one
    without a time, in the past, or too short or long is explained to the sender."""
    start = answer.start
    end = answer.end or (answer.start + timedelta(hours=1) if answer.start else None)
    if start is None or answer.all_day:
        raise Polite(Reason.INVITATION_WITHOUT_TIME)
    if start <= ctx.now:
        raise Polite(Reason.INVITATION_IN_THE_PAST)
    if not svc.duration_ok(start, end):
        raise Polite(Reason.INVITATION_DURATION)
    return start, end


def _direct_too(ctx: Context, mentorship: Mentorship, answer: CalendarAnswer) -> dict:
    """Whether the client has probably mailed its own invitation to the other participant too
    (the invitation mail then says which one counts)."""
    invited = answer.attendee(other_side(mentorship, ctx.person).email) is not None
    return {"direct_too": invited}


def _no_calendar(ctx: Context) -> str:
    """Mail to a meetings address without a calendar object: a YES / NO / CANCEL typed by hand
    still counts."""
    command, token = ctx.inbound.command, ctx.inbound.token
    by_hand = token is not None and token.purpose == "meet" and ctx.person is not None
    if command is not None and by_hand:
        flow = BY_HAND.get(command.keyword)
        if flow is not None:
            return flow(ctx)
    return help.not_understood(ctx)
