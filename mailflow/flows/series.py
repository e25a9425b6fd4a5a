"""Answers to a recurring series: calendar clients' REPLY / COUNTER / CANCEL sent to the series'
meetings address, and YES / NO / CANCEL by reply to the series' mail. An answer naming one
occurrence (RECURRENCE-ID) is that occurrence's answer alone, handled as any meeting's; one
without speaks for every occurrence still open."""
from __future__ import annotations

from ..domain import meetings as svc
from ..domain import series as series_svc
from ..outcomes import Polite, Refused
from ..parsers.calendar_reply import CalendarAnswer
from ..reasons import Reason, Refusal
from ..store.models import MeetingSeries, Mentorship, Person
from ..store.states import MeetingState
from . import calendar_answers, help, meetings
from .context import Context
from .finding import meeting_and_mentorship


def calendar_received(ctx: Context) -> str:
    """A calendar object sent to a series' meetings address (or to the reply address of its
    mail)."""
    answers = calendar_answers.read_answers(ctx).answers
    if not answers:
        return _by_hand(ctx)
    series, mentorship = _series(ctx)
    for answer in answers:
        if answer.uid != series.uid:
            continue
        if answer.recurrence_id is None and answer.sequence <= series.sequence:
            return _whole_series(ctx, series, mentorship, answer)
        occurrence = _occurrence_of(series, answer)
        if occurrence is None:
            named = answer.recurrence_id.isoformat() if answer.recurrence_id else "that sequence"
            return f"series {series.id} has no occurrence at {named}"
        return calendar_answers.handle_answer(ctx, occurrence, mentorship, answer)
    return f"no answer for series {series.id} in the mail"


def accept_by_reply(ctx: Context) -> str:
    series, mentorship = _series(ctx)
    return answer_series(ctx, series, mentorship, ctx.person, "ACCEPTED")


def decline_by_reply(ctx: Context) -> str:
    series, mentorship = _series(ctx)
    return answer_series(ctx, series, mentorship, ctx.person, "DECLINED")


def cancel(ctx: Context) -> str:
    series, mentorship = _series(ctx)
    return _cancel(ctx, series, mentorship, ctx.person)


def answer_series(ctx: Context, series: MeetingSeries, mentorship: Mentorship, person: Person,
                  partstat: str) -> str:
    """Person's answer for every open occurrence; the proposer hears of it once."""
    first = series.occurrences[0]
    if person.id != svc.acceptor_of(first, mentorship).id:
        if partstat == "DECLINED" and ctx.inbound.address_kind == "reply":
            raise Polite(Reason.OWN_PROPOSAL, meeting=first.id)
        if partstat == "DECLINED":
            return _cancel(ctx, series, mentorship, person)
        return f"series {series.id}: {partstat} from the proposer noted"
    state = meetings.ANSWERED.get(partstat)
    open_ones = series_svc.open_occurrences(series, ctx.now)
    if state is None or not open_ones:
        return f"series {series.id}: {partstat} noted ({len(open_ones)} open occurrences)"
    for meeting in open_ones:
        meeting.state = state
    mentorship.last_activity_at = ctx.now
    proposer = svc.proposer_of(first, mentorship)
    values = dict(series_svc.series_values(ctx.signer, series, mentorship, proposer, ctx.now),
                  answered=state, count=len(open_ones))
    ctx.send(ctx.mail_to(proposer, "meeting_series_answered", values=values,
                         reply_token=series_svc.series_token(series, proposer)))
    return f"series {series.id}: {len(open_ones)} occurrences {state} by {person.email}"


def _occurrence_of(series: MeetingSeries, answer: CalendarAnswer):
    """The occurrence an answer names: by its RECURRENCE-ID, or, for a client that dropped it from
    the answer to a moved occurrence's invitation, by the SEQUENCE above the series' that only
    that invitation carried (when exactly one occurrence has it)."""
    if answer.recurrence_id is not None:
        return next((m for m in series.occurrences if m.recurrence_id == answer.recurrence_id),
                    None)
    moved = [m for m in series.occurrences if m.sequence == answer.sequence]
    return moved[0] if len(moved) == 1 else None


def _whole_series(ctx: Context, series: MeetingSeries, mentorship: Mentorship,
                  answer: CalendarAnswer) -> str:
    method = answer.method or "REPLY"
    person = calendar_answers.speaker(ctx, mentorship, answer)
    if method == "REFRESH":
        series_svc.send_series_invitations(ctx.send, ctx.settings, ctx.signer, series,
                                           mentorship, ctx.now,
                                           accepted=_accepted(series, mentorship))
        return f"series {series.id}: invitation sent again for {person.email}"
    if answer.sequence < series.sequence:
        return f"{method} to an older sequence of series {series.id} ignored"
    if method == "CANCEL":
        return _cancel(ctx, series, mentorship, person)
    if method != "REPLY":
        return f"{method} for the whole series {series.id} ignored (only single occurrences)"
    return answer_series(ctx, series, mentorship, person, answer.attendee(person.email).partstat)


def _cancel(ctx: Context, series: MeetingSeries, mentorship: Mentorship, by: Person) -> str:
    if not series_svc.open_occurrences(series, ctx.now):
        raise Polite(Reason.MEETING_CANCELLED, meeting=series.occurrences[0].id)
    count = series_svc.cancel_series(ctx.send, ctx.settings, ctx.signer, series, mentorship,
                                     ctx.now, by)
    return f"series {series.id} cancelled by {by.email} ({count} occurrences)"


def _accepted(series: MeetingSeries, mentorship: Mentorship) -> tuple[int, ...]:
    first = series.occurrences[0]
    proposer, acceptor = svc.proposer_of(first, mentorship), svc.acceptor_of(first, mentorship)
    if first.state == MeetingState.CONFIRMED:
        return (proposer.id, acceptor.id)
    return (proposer.id,)


def _series(ctx: Context) -> tuple[MeetingSeries, Mentorship]:
    meeting, mentorship = meeting_and_mentorship(ctx)
    if meeting.series is None:
        raise Refused(Refusal.NOT_OUR_MEETING)
    return meeting.series, mentorship


def _by_hand(ctx: Context) -> str:
    """A series' meetings address written to without a calendar object."""
    flows = {"YES": accept_by_reply, "NO": decline_by_reply, "CANCEL": cancel}
    command = ctx.inbound.command
    if command is not None and command.keyword.name in flows and ctx.person is not None:
        return flows[command.keyword.name](ctx)
    return help.not_understood(ctx)
