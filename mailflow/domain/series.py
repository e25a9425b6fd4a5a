"""Recurring meetings: a series is one invitation with an RRULE (one UID), and each of its
occurrences is a Meeting row of its own, so that each is answered, held, asked for feedback and
counted towards the agreement on its own. An answer to the whole series (no RECURRENCE-ID) counts
for every occurrence still open; one occurrence moved or cancelled is sent as a REQUEST or CANCEL
for that RECURRENCE-ID alone (domain/meetings builds those, since an occurrence is a meeting)."""
from __future__ import annotations

import dataclasses
import functools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..config import Settings
from ..outgoing.calendar import Invitation, build_cancel, build_request
from ..outgoing.recurrence import describe, occurrence_starts, rrule_text
from ..parsers.commands import Keyword, command_word
from ..parsers.repeats import MOST_OCCURRENCES, Repeat
from ..store.models import Meeting, MeetingSeries, Mentorship, Person
from ..store.states import MeetingState
from ..tokens import Token, TokenSigner
from . import meetings as svc
from .sending import Send

LONGEST_SERIES = timedelta(days=2 * 366)


def series_problem(repeat: Repeat, start: datetime, tzid: str) -> str | None:
    """Why a series from start cannot be (a problem key of the meeting form), or None."""
    starts = occurrence_starts(rrule_text(repeat, tzid), start, tzid)
    if len(starts) < 2:
        return "repeat_too_short"
    if len(starts) > MOST_OCCURRENCES or starts[-1] - starts[0] > LONGEST_SERIES:
        return "repeat_too_long"
    return None


def new_series(session: Session, settings: Settings, *, repeat: Repeat, mentorship: Mentorship,
               proposer: Person, start: datetime, end: datetime, tzid: str, place: str,
               topic: str, closing: bool, now: datetime) -> MeetingSeries:
    """The series and one proposed meeting per occurrence (only the last may be the closing
    one)."""
    rule = rrule_text(repeat, tzid)
    series = MeetingSeries(mentorship_id=mentorship.id, uid=svc.new_uid(settings), rrule=rule,
                           sequence=0, starts_at=start, ends_at=end, tzid=tzid, created_at=now)
    session.add(series)
    session.flush()
    starts = occurrence_starts(rule, start, tzid)
    for number, moment in enumerate(starts, start=1):
        meeting = svc.new_meeting(session, settings, mentorship=mentorship, proposer=proposer,
                                  start=moment, end=moment + (end - start), tzid=tzid,
                                  place=place, topic=topic, now=now,
                                  closing=closing and number == len(starts))
        meeting.series_id, meeting.recurrence_id = series.id, moment
    session.flush()
    session.refresh(series)
    return series


def open_occurrences(series: MeetingSeries, now: datetime) -> list[Meeting]:
    """The occurrences an answer to the whole series speaks for: not over, not cancelled, and not
    moved on their own (a moved one has its own invitation, with a higher SEQUENCE)."""
    return [m for m in series.occurrences if m.ends_at > now and m.sequence <= series.sequence
            and m.state != MeetingState.CANCELLED]


def series_invitation(settings: Settings, signer: TokenSigner, series: MeetingSeries,
                      mentorship: Mentorship, now: datetime, *, reader: Person,
                      accepted: tuple[int, ...] = ()) -> Invitation:
    """The series' iTIP object: the first occurrence as first invited, with the RRULE."""
    first = series.occurrences[0]
    inv = svc.invitation(settings, signer, first, mentorship, now, reader=reader,
                         accepted=accepted)
    last = series.occurrences[-1]
    return dataclasses.replace(inv, sequence=series.sequence, start=series.starts_at,
                               end=series.ends_at, rrule=series.rrule, recurrence_id=None,
                               last_end=last.recurrence_id + (series.ends_at - series.starts_at))


def series_token(series: MeetingSeries, person: Person) -> Token:
    """The reply address of a series' mails: YES / NO / CANCEL there speak for the whole
    series. It names the series' first occurrence."""
    return Token("reply", "series", series.occurrences[0].id, person.id)


def series_values(signer: TokenSigner, series: MeetingSeries, mentorship: Mentorship,
                  reader: Person, now: datetime) -> dict:
    """What a series' mails show: the first occurrence, the rule in words, and each occurrence
    with a one-click link to cancel just that one."""
    first = series.occurrences[0]
    word = command_word(Keyword.CANCEL, reader.language)
    listed = [dict(number=number, state=m.state,
                   when=svc.time_for(reader, mentorship, m, m.starts_at, m.ends_at),
                   cancel=signer.mailto(Token("reply", "meeting", m.id, reader.id), word))
              for number, m in enumerate(series.occurrences, start=1) if m.ends_at > now]
    return dict(svc.meeting_values(first, mentorship, reader), occurrences=listed,
                rule=describe(series.rrule, len(series.occurrences), reader.language))


def send_series_invitations(send: Send, settings: Settings, signer: TokenSigner,
                            series: MeetingSeries, mentorship: Mentorship, now: datetime, *,
                            accepted: tuple[int, ...] = ()) -> None:
    """METHOD:REQUEST with the RRULE to both, each in their own language."""
    acceptor = svc.acceptor_of(series.occurrences[0], mentorship)
    for person in (mentorship.mentee, mentorship.mentor):
        ics = build_request(series_invitation(settings, signer, series, mentorship, now,
                                              reader=person, accepted=accepted))
        token = series_token(series, person)
        word = functools.partial(command_word, language=person.language)
        values = dict(series_values(signer, series, mentorship, person, now),
                      must_answer=person.id == acceptor.id and person.id not in accepted,
                      yes=signer.mailto(token, word(Keyword.YES)),
                      no=signer.mailto(token, word(Keyword.NO)),
                      cancel=signer.mailto(token, word(Keyword.CANCEL)))
        send(svc.calendar_mail(person, "meeting_series_invitation", token, values, ics,
                               "REQUEST"))


def cancel_series(send: Send, settings: Settings, signer: TokenSigner, series: MeetingSeries,
                  mentorship: Mentorship, now: datetime, by: Person) -> int:
    """Every occurrence still to come is cancelled: one CANCEL for the whole series
    (SEQUENCE+1) to both. Returns how many occurrences that were."""
    series.sequence += 1
    cancelled = 0
    for meeting in series.occurrences:
        if meeting.ends_at > now and meeting.state != MeetingState.CANCELLED:
            meeting.state, meeting.sequence = MeetingState.CANCELLED, meeting.sequence + 1
            cancelled += 1
    mentorship.last_activity_at = now
    for person in (mentorship.mentee, mentorship.mentor):
        ics = build_cancel(series_invitation(settings, signer, series, mentorship, now,
                                             reader=person))
        values = dict(series_values(signer, series, mentorship, person, now),
                      cancelled_by=by.name, by_you=by.id == person.id)
        send(svc.calendar_mail(person, "meeting_series_cancelled", None, values, ics, "CANCEL"))
    return cancelled
