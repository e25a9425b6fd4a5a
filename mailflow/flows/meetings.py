"""Meetings by mail: proposing one with the meeting form (MEETING / TREFFEN), answering the
invitation mail with YES / NO, moving it (a new form for the same meeting), cancelling it
(CANCEL / ABSAGEN), and the feedback after it. Calendar clients' answers (REPLY, COUNTER, CANCEL,
a REQUEST from a person's own calendar) are in calendar_answers.py."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..domain import achievements
from ..domain import meetings as svc
from ..domain import series as series_svc
from ..domain import slots
from ..domain.fit import asks_fit
from ..domain.mentorships import current_agreement, is_party, other_side, running_of
from ..outcomes import Polite
from ..parsers.commands import Keyword
from ..parsers.form_fields import FieldError, explain
from ..parsers.forms import read_feedback, read_meeting, render_form
from ..reasons import Reason
from ..store.models import Feedback, Meeting, Mentorship, Person
from ..store.states import AGREED, PLANNED, MeetingState
from ..tokens import Token
from . import slots as slot_answers
from .context import Context
from .finding import meeting_and_mentorship, mentorship_of, named_meeting
from .fit import fit_answered
from .form_answers import field_error, form_errors, no_form

# ---------------------------------------------------------------- proposing and moving

def propose(ctx: Context) -> str:
    """MEETING with the form: a new meeting, several slots to pick from, or a series (or, in
    reply to an invitation, a new date for that meeting)."""
    meeting = named_meeting(ctx)
    mentorship = mentorship_of(ctx)
    require_agreement(ctx, mentorship)
    result = read_meeting(ctx.inbound.mail.text)
    if not result.found_any:
        send_meeting_form(ctx, mentorship, ctx.person, meeting=meeting)
        return f"meeting form sent for mentorship {mentorship.id}"
    errors, times = _form_times(ctx, result)
    if errors:
        send_meeting_form(ctx, mentorship, ctx.person, meeting=meeting, errors=errors,
                          values=result.raw)
        return f"meeting form with {len(errors)} errors"
    values = result.values
    details = dict(mentorship=mentorship, proposer=ctx.person, place=values["place"],
                   topic=values["topic"], closing=bool(values.get("closing_meeting")),
                   now=ctx.now)
    if meeting is not None:
        return _move(ctx, meeting, dict(details, start=times[0][0], end=times[0][1]))
    tzid = ctx.person.timezone or ctx.settings.timezone
    if len(times) > 1:
        return _offer_slots(ctx, times, tzid, details)
    if values.get("repeat") is not None:
        return _propose_series(ctx, values["repeat"], times[0], tzid, details)
    meeting = svc.new_meeting(ctx.session, ctx.settings, tzid=tzid, start=times[0][0],
                              end=times[0][1], **details)
    svc.send_invitations(ctx.send, ctx.settings, ctx.signer, meeting, mentorship, ctx.now,
                         accepted=(ctx.person.id,))
    return f"meeting {meeting.id} proposed for {meeting.starts_at.isoformat()}"


def _offer_slots(ctx: Context, times, tzid: str, details: dict) -> str:
    offered = slots.new_slots(ctx.session, ctx.settings, times=times, tzid=tzid, **details)
    slots.send_offer(ctx.send, ctx.settings, ctx.signer, offered, details["mentorship"],
                     ctx.now)
    return f"{len(offered)} slots offered (meetings {', '.join(str(s.id) for s in offered)})"


def _propose_series(ctx: Context, repeat, time_slot, tzid: str, details: dict) -> str:
    start, end = time_slot
    series = series_svc.new_series(ctx.session, ctx.settings, repeat=repeat, start=start,
                                   end=end, tzid=tzid, **details)
    series_svc.send_series_invitations(ctx.send, ctx.settings, ctx.signer, series,
                                       details["mentorship"], ctx.now,
                                       accepted=(ctx.person.id,))
    return f"series {series.id} of {len(series.occurrences)} meetings proposed ({series.rrule})"


def _form_times(ctx: Context, result) -> tuple[list[str], list[tuple[datetime, datetime]]]:
    """The errors of a meeting form, and when each slot it proposes starts and ends (in the
    proposer's time zone; a moment in the past, or a series too short or long, is an error
    too)."""
    errors = form_errors(result, ctx.language)
    if errors:
        return errors, []
    zone_name = ctx.person.timezone or ctx.settings.timezone
    length = timedelta(minutes=result.values["duration_minutes"])
    options = result.values.get("slots") or [(result.values["date"], result.values["time"])]
    starts = [datetime.combine(day, at, tzinfo=ZoneInfo(zone_name)) for day, at in options]
    if any(start <= ctx.now for start in starts):
        errors.append(field_error("date", _past(ctx.language), ctx.language))
    repeat = result.values.get("repeat")
    problem = repeat and series_svc.series_problem(repeat, starts[0], zone_name)
    if problem:
        errors.append(field_error("repeat", explain(FieldError("repeat", problem, ""),
                                                    ctx.language), ctx.language))
    return errors, [(start, start + length) for start in starts]


def _move(ctx: Context, meeting: Meeting, details: dict) -> str:
    """A new date for the same meeting: REQUEST with SEQUENCE+1, and the other side must accept
    again."""
    if meeting.state == MeetingState.CANCELLED:
        raise Polite(Reason.MEETING_CANCELLED, meeting=meeting.id)
    svc.move_meeting(meeting, tzid=ctx.person.timezone or meeting.tzid, **details)
    svc.send_invitations(ctx.send, ctx.settings, ctx.signer, meeting, details["mentorship"],
                         ctx.now, accepted=(ctx.person.id,), values={"moved": True})
    return (f"meeting {meeting.id} moved to {meeting.starts_at.isoformat()} "
            f"(sequence {meeting.sequence})")


def send_meeting_form(ctx: Context, mentorship: Mentorship, person: Person, *,
                      meeting: Meeting | None = None, errors=(), values=None) -> None:
    """The meeting form to person; their reply proposes (or, for a meeting, moves it)."""
    token = (Token("reply", "meeting", meeting.id, person.id) if meeting is not None
             else ctx.token_for("meetform", mentorship.id, person))
    prefill = values if values is not None else ({"place": meeting.place, "topic": meeting.topic}
                                                 if meeting is not None else {})
    ctx.send(ctx.mail_to(person, "meeting_form", reply_token=token, values=dict(
        form=render_form("meeting", prefill, person.language), errors=list(errors),
        other=other_side(mentorship, person).name, zone=person.timezone,
        plan=ctx.signer.address(svc.plan_token(mentorship, person)))))


def form_received(ctx: Context) -> str:
    """A reply to the meeting form (no keyword needed)."""
    return propose(ctx)


# ---------------------------------------------------------------- answering the invitation mail

def accept_by_reply(ctx: Context) -> str:
    """A plain YES / JA to the invitation mail confirms, like ACCEPTED from a calendar."""
    meeting, mentorship = meeting_and_mentorship(ctx)
    return set_answer(ctx, meeting, mentorship, ctx.person, "ACCEPTED")


def decline_by_reply(ctx: Context) -> str:
    meeting, mentorship = meeting_and_mentorship(ctx)
    return set_answer(ctx, meeting, mentorship, ctx.person, "DECLINED")


# what an acceptor's PARTSTAT makes of the meeting
ANSWERED = {"ACCEPTED": MeetingState.CONFIRMED, "DECLINED": MeetingState.DECLINED,
            "TENTATIVE": MeetingState.TENTATIVE}


def set_answer(ctx: Context, meeting: Meeting, mentorship: Mentorship, person: Person,
               partstat: str) -> str:
    """What an answer of person means for the meeting; the proposer hears of it. An invitation
    acts until its meeting ends (whether it took place is the feedback form's question)."""
    if meeting.state == MeetingState.CANCELLED:
        raise Polite(Reason.MEETING_CANCELLED, meeting=meeting.id)
    if meeting.ends_at <= ctx.now:
        raise Polite(Reason.ANSWER_AFTER_MEETING, meeting=meeting.id)
    if meeting.state == MeetingState.OFFERED:
        return slot_answers.answer(ctx, meeting, mentorship, person, partstat)
    if person.id != svc.acceptor_of(meeting, mentorship).id:
        return _proposer_answered(ctx, meeting, mentorship, person, partstat)
    state = ANSWERED.get(partstat)
    if state is None:
        return f"meeting {meeting.id}: {partstat} noted"
    if meeting.state == state:
        return f"meeting {meeting.id} already {state}"
    meeting.state = state
    if state == MeetingState.CONFIRMED:  # named in the credential's evidence
        meeting.confirmed_via = "calendar" if ctx.inbound.carries_calendar else "reply"
    mentorship.last_activity_at = ctx.now
    proposer = svc.proposer_of(meeting, mentorship)
    values = svc.meeting_values(meeting, mentorship, proposer)
    if state == MeetingState.DECLINED:
        # the new date moves this very meeting (same UID, SEQUENCE+1): the proposer's calendar
        # entry follows it
        values.update(form=render_form("meeting", {"place": meeting.place, "topic": meeting.topic},
                                       proposer.language))
    token = Token("reply", "meeting", meeting.id, proposer.id)
    ctx.send(ctx.mail_to(proposer, f"meeting_{state}", reply_token=token, values=values))
    return f"meeting {meeting.id} {state} by {person.email}"


def _proposer_answered(ctx: Context, meeting: Meeting, mentorship: Mentorship, person: Person,
                       partstat: str) -> str:
    """The proposer's own answer: only a decline from their calendar means anything."""
    if partstat == "DECLINED" and ctx.inbound.address_kind == "reply":
        raise Polite(Reason.OWN_PROPOSAL, meeting=meeting.id)
    if partstat == "DECLINED" and meeting.ends_at > ctx.now:
        # the proposer's calendar declines (or they deleted the meeting there): it cannot take
        # place
        return cancel_meeting(ctx, meeting, mentorship, person)
    return f"meeting {meeting.id}: {partstat} from the proposer noted"


# ---------------------------------------------------------------- cancelling

def cancel(ctx: Context) -> str:
    """CANCEL / ABSAGEN: in reply to an invitation that meeting, otherwise the person's next
    planned meeting."""
    meeting = named_meeting(ctx) or _next_meeting(ctx)
    mentorship = ctx.session.get(Mentorship, meeting.mentorship_id)
    if not is_party(mentorship, ctx.person):
        raise Polite(Reason.NOT_A_PARTICIPANT, meeting=meeting.id)
    return cancel_meeting(ctx, meeting, mentorship, ctx.person)


def cancel_meeting(ctx: Context, meeting: Meeting, mentorship: Mentorship, by: Person) -> str:
    if meeting.state == MeetingState.CANCELLED:
        raise Polite(Reason.MEETING_CANCELLED, meeting=meeting.id)
    if meeting.ends_at <= ctx.now:
        raise Polite(Reason.MEETING_OVER, meeting=meeting.id)
    meeting.state, meeting.sequence = MeetingState.CANCELLED, meeting.sequence + 1
    meeting.counter_starts_at = meeting.counter_ends_at = None
    mentorship.last_activity_at = ctx.now
    svc.send_cancellations(ctx.send, ctx.settings, ctx.signer, meeting, mentorship, ctx.now, by)
    return f"meeting {meeting.id} cancelled by {by.email}"


# ---------------------------------------------------------------- answering a counter proposal

def accept_counter(ctx: Context) -> str:
    """The proposer takes the other side's new time: the meeting moves (SEQUENCE+1) and is
    confirmed; not to a time that has begun meanwhile."""
    meeting, mentorship = _counter_meeting(ctx)
    if meeting.counter_starts_at <= ctx.now:
        raise Polite(Reason.COUNTER_PASSED, meeting=meeting.id)
    meeting.starts_at, meeting.ends_at = meeting.counter_starts_at, meeting.counter_ends_at
    meeting.counter_starts_at = meeting.counter_ends_at = None
    meeting.sequence += 1
    meeting.state, meeting.confirmed_via = MeetingState.CONFIRMED, "counter"
    mentorship.last_activity_at = ctx.now
    both = (mentorship.mentee_id, mentorship.mentor_id)
    svc.send_invitations(ctx.send, ctx.settings, ctx.signer, meeting, mentorship, ctx.now,
                         accepted=both, values={"moved": True})
    return f"counter accepted: meeting {meeting.id} moved to {meeting.starts_at.isoformat()}"


def decline_counter(ctx: Context) -> str:
    """The proposer keeps the time: DECLINECOUNTER to the one who countered."""
    meeting, mentorship = _counter_meeting(ctx)
    countered_by = other_side(mentorship, ctx.person)
    values = svc.meeting_values(meeting, mentorship, countered_by)
    values["proposed"] = svc.time_for(countered_by, mentorship, meeting,
                                      meeting.counter_starts_at, meeting.counter_ends_at)
    meeting.counter_starts_at = meeting.counter_ends_at = None
    ctx.send(svc.decline_counter_mail(ctx.settings, ctx.signer, meeting, mentorship, ctx.now,
                                      countered_by, values))
    return f"counter for meeting {meeting.id} declined"


def _counter_meeting(ctx: Context) -> tuple[Meeting, Mentorship]:
    meeting, mentorship = meeting_and_mentorship(ctx)
    if meeting.counter_starts_at is None or meeting.state == MeetingState.CANCELLED:
        raise Polite(Reason.NO_COUNTER, meeting=meeting.id)
    return meeting, mentorship


# ---------------------------------------------------------------- feedback after the meeting

def feedback_received(ctx: Context) -> str:
    """The filled feedback form: stored; "took place: yes" records the meeting in the person's
    profile."""
    meeting, mentorship = meeting_and_mentorship(ctx)
    result = _read_feedback(ctx)
    if not result.found_any or not result.ok:
        errors = form_errors(result, ctx.language)
        svc.send_feedback_form(ctx.send, ctx.signer, meeting, mentorship, ctx.person,
                               errors=errors or [no_form(ctx.language)],
                               values=result.raw if result.found_any else None,
                               first=asks_fit(ctx.session, mentorship.id, ctx.person.id,
                                              meeting.id))
        return f"feedback form with {len(errors)} errors"
    feedback = _store_feedback(ctx, meeting, result.values)
    mentorship.last_activity_at = ctx.now
    recorded = record_feedback_achievements(ctx, meeting, mentorship, ctx.person,
                                            feedback.took_place)
    fit = fit_answered(ctx, meeting, mentorship, feedback, result.values.get("good_fit"))
    ctx.answer("meeting_feedback_thanks", took_place=feedback.took_place, rating=feedback.rating,
               achievements=recorded, **fit)
    return (f"feedback on meeting {meeting.id} from {ctx.person.email}: "
            f"{feedback.took_place}, {feedback.rating}")


def _read_feedback(ctx: Context):
    """The feedback form in the reply; a one-click YES / NO (with a rating after it) counts as
    its first two fields."""
    result = read_feedback(ctx.inbound.mail.text)
    command = ctx.inbound.command
    one_click = command is not None and command.keyword in (Keyword.YES, Keyword.NO)
    if not result.found_any and one_click:
        result = read_feedback(f"took place: {command.keyword.name.lower()}\n"
                               f"rating: {command.argument}\n")
    return result


def _store_feedback(ctx: Context, meeting: Meeting, values: dict) -> Feedback:
    """The sender's feedback on meeting, new or replacing what they said before."""
    feedback = ctx.session.scalar(select(Feedback).where(Feedback.meeting_id == meeting.id,
                                                         Feedback.person_id == ctx.person.id))
    if feedback is None:
        feedback = Feedback(meeting_id=meeting.id, person_id=ctx.person.id, created_at=ctx.now)
        ctx.session.add(feedback)
    feedback.took_place, feedback.rating = values["took_place"], values.get("rating")
    feedback.comment = values.get("comment") or ""
    ctx.session.flush()
    return feedback


def record_feedback_achievements(ctx: Context, meeting: Meeting, mentorship: Mentorship,
                                 person: Person, took_place: bool) -> list[str]:
    new = []

    def record(kind: str, ref: str) -> bool:
        return achievements.record(ctx.session, person, kind, ctx.now, ref=ref,
                                   mentorship_id=mentorship.id)

    if record("feedback_given", f"f{meeting.id}"):
        new.append(achievements.label("feedback_given", person.language))
    if not took_place:
        return new
    if record("meeting_held", f"m{meeting.id}"):
        new.append(achievements.label("meeting_held", person.language))
    ctx.session.flush()
    held = ctx.session.scalar(
        select(func.count(Feedback.id)).join(Meeting, Meeting.id == Feedback.meeting_id)
        .where(Meeting.mentorship_id == mentorship.id, Feedback.person_id == person.id,
               Feedback.took_place.is_(True))) or 0
    for count, kind in ((1, "first_meeting"), (5, "fifth_meeting")):
        if held >= count and record(kind, f"ms{mentorship.id}"):
            new.append(achievements.label(kind, person.language))
    return new


# ---------------------------------------------------------------- finding things

def require_agreement(ctx: Context, mentorship: Mentorship) -> None:
    if mentorship.state not in AGREED or current_agreement(ctx.session, mentorship) is None:
        raise Polite(Reason.MEETING_NEEDS_AGREEMENT, mentorship=mentorship.id)


def _next_meeting(ctx: Context) -> Meeting:
    ids = [m.id for m in running_of(ctx.session, ctx.person)]
    upcoming = list(ctx.session.scalars(select(Meeting).where(
        Meeting.mentorship_id.in_(ids), Meeting.state.in_(PLANNED), Meeting.ends_at > ctx.now)
        .order_by(Meeting.starts_at).limit(2)))
    if not upcoming:
        raise Polite(Reason.NONE_PLANNED)
    return upcoming[0]


def _past(language: str) -> str:
    if language == "de":
        return ("Dieser Zeitpunkt liegt in der Vergangenheit. "
                "Erwartet wird: ein Datum und eine Uhrzeit in der Zukunft.")
    return "This moment lies in the past. Accepted: a date and time in the future."
