"""Meetings as iMIP invitations: what a meeting's invitation says, the mails that carry it to both
participants, and the shared rules (who proposed, who accepts, how a time is shown). Used by the
meeting flows and the jobs."""
from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..config import Settings
from ..outgoing.calendar import (
    Attendee, Invitation, build_cancel, build_decline_counter, build_request, imip_mime_part,
)
from ..outgoing.compose import OutgoingMail
from ..outgoing.meeting_times import MeetingTime
from ..parsers.commands import Keyword, command_word
from ..parsers.form_values import MEETING_MINUTES
from ..parsers.forms import render_form
from ..store.models import Meeting, Mentorship, Person
from ..store.states import MeetingState
from ..tokens import Token, TokenSigner
from .mentorships import other_side
from .sending import Send


def new_uid(settings: Settings) -> str:
    return f"meeting-{uuid.uuid4().hex}@{settings.domain}"


def new_meeting(session: Session, settings: Settings, *, mentorship: Mentorship, proposer: Person,
                start: datetime, end: datetime, tzid: str, place: str, topic: str,
                closing: bool = False, source_uid: str | None = None, now: datetime) -> Meeting:
    """A meeting proposer proposes (the other side must accept it), stored with our own UID at
    SEQUENCE 0; source_uid is the UID of the invitation from proposer's own calendar, if it came
    from there. The mentorship was active now."""
    meeting = Meeting(mentorship_id=mentorship.id, uid=new_uid(settings), sequence=0,
                      starts_at=start, ends_at=end, tzid=tzid, place=place, topic=topic,
                      closing=closing, state=MeetingState.PROPOSED, created_at=now,
                      proposed_by_id=proposer.id, source_uid=source_uid)
    session.add(meeting)
    session.flush()
    mentorship.last_activity_at = now
    return meeting


def move_meeting(meeting: Meeting, *, mentorship: Mentorship, proposer: Person, start: datetime,
                 end: datetime, tzid: str, place: str, topic: str, closing: bool,
                 now: datetime) -> None:
    """A new time (and place, topic) for the same meeting: SEQUENCE+1, proposed again by proposer so
    that the other side must accept again; a counter proposal waiting on it is void. The
    mentorship was active now."""
    meeting.starts_at, meeting.ends_at, meeting.sequence = start, end, meeting.sequence + 1
    meeting.tzid, meeting.place, meeting.topic, meeting.closing = tzid, place, topic, closing
    meeting.state, meeting.proposed_by_id = MeetingState.PROPOSED, proposer.id
    meeting.counter_starts_at = meeting.counter_ends_at = None
    mentorship.last_activity_at = now


def organizer_token(meeting: Meeting, reader: Person) -> Token:
    """The ORGANIZER address of a meeting in reader's copy of the invitation: their calendar sends
    its REPLY / COUNTER there. It is bound to reader, so nobody answers through it for the other
    attendee (invitations sent before carry person 0: still read, the flow checks who answers).
    Every occurrence of a series has the series' organizer (a calendar matches them by it); that
    address names the series' first occurrence."""
    if meeting.series is not None:
        return Token("meetings", "series", meeting.series.occurrences[0].id, reader.id)
    return Token("meetings", "meet", meeting.id, reader.id)


def calendar_uid(meeting: Meeting) -> str:
    """The UID calendars know the meeting by: an occurrence goes by its series' UID (with its
    RECURRENCE-ID)."""
    return meeting.series.uid if meeting.series is not None else meeting.uid


def plan_token(mentorship: Mentorship, person: Person) -> Token:
    """A person's own meetings address for one mentorship: an invitation from their calendar to it
    proposes."""
    return Token("meetings", "plan", mentorship.id, person.id)


def proposer_of(meeting: Meeting, mentorship: Mentorship) -> Person:
    return (mentorship.mentor if meeting.proposed_by_id == mentorship.mentor_id
            else mentorship.mentee)


def acceptor_of(meeting: Meeting, mentorship: Mentorship) -> Person:
    """The one whose acceptance confirms the meeting: the participant who did not propose it."""
    return (mentorship.mentee if meeting.proposed_by_id == mentorship.mentor_id
            else mentorship.mentor)


def participant(mentorship: Mentorship, email: str) -> Person | None:
    wanted = (email or "").strip().lower()
    return next((p for p in (mentorship.mentee, mentorship.mentor) if p.email == wanted), None)


def time_for(reader: Person, mentorship: Mentorship, meeting: Meeting, start: datetime,
             end: datetime) -> MeetingTime:
    """start–end as reader's mails show it: in reader's zone, and in the other side's when the
    clock there shows another time."""
    other = other_side(mentorship, reader)
    zones = (reader.timezone or meeting.tzid, other.timezone or meeting.tzid)
    return MeetingTime(start, end, zones)


def meeting_values(meeting: Meeting, mentorship: Mentorship, reader: Person, *,
                   start: datetime | None = None, end: datetime | None = None) -> dict:
    """What every meeting mail shows, in the reader's language and time zone."""
    start, end = start or meeting.starts_at, end or meeting.ends_at
    return dict(when=time_for(reader, mentorship, meeting, start, end),
                minutes=int((end - start).total_seconds() // 60), place=meeting.place,
                topic=meeting.topic,
                closing=meeting.closing, other=other_side(mentorship, reader).name,
                proposer=proposer_of(meeting, mentorship).name, sequence=meeting.sequence)


def invitation(settings: Settings, signer: TokenSigner, meeting: Meeting, mentorship: Mentorship,
               now: datetime, *, reader: Person, accepted: tuple[int, ...] = ()) -> Invitation:
    """The iTIP object of the meeting as it stands; people in accepted are ACCEPTED, the rest
    NEEDS-ACTION."""
    language = reader.language
    people = (mentorship.mentee, mentorship.mentor)
    attendees = tuple(Attendee(p.email, p.name,
                               partstat="ACCEPTED" if p.id in accepted else "NEEDS-ACTION")
                      for p in people)
    place = meeting.place.strip()
    yes = command_word(Keyword.YES, language)
    url = place if place.lower().startswith(("http://", "https://")) else None
    if language == "de":
        summary = f"Mentoring: {mentorship.mentee.name} & {mentorship.mentor.name}"
        description = (f"Thema: {meeting.topic}\nOrt: {place}\n\n"
                       f"Bitte sagen Sie mit den Knöpfen Ihres Kalenders zu "
                       f"oder ab – oder antworten Sie auf die Mail mit {yes}.")
    else:
        summary = f"Mentoring: {mentorship.mentee.name} & {mentorship.mentor.name}"
        description = (f"Topic: {meeting.topic}\nPlace: {place}\n\n"
                       f"Please accept or decline with your calendar's "
                       f"buttons – or reply {yes} to the mail.")
    if meeting.topic:
        summary = f"{summary} – {meeting.topic}"[:250]
    return Invitation(
        uid=calendar_uid(meeting), sequence=meeting.sequence, stamp=now, start=meeting.starts_at,
        end=meeting.ends_at, tzid=meeting.tzid, summary=summary, description=description,
        location=place or None, url=url,
        organizer_email=signer.address(organizer_token(meeting, reader)),
        organizer_name=settings.programme,
        attendees=attendees, recurrence_id=meeting.recurrence_id,
        status="TENTATIVE" if meeting.state == MeetingState.OFFERED else "CONFIRMED")


def send_invitations(send: Send, settings: Settings, signer: TokenSigner, meeting: Meeting,
                     mentorship: Mentorship, now: datetime, *, accepted: tuple[int, ...] = (),
                     template: str = "meeting_invitation", values: dict | None = None) -> None:
    """METHOD:REQUEST to both participants, each in their own language, with a reply address that
    takes YES."""
    for person in (mentorship.mentee, mentorship.mentor):
        ics = build_request(invitation(settings, signer, meeting, mentorship, now,
                                       reader=person, accepted=accepted))
        token = Token("reply", "meeting", meeting.id, person.id)
        acceptor = acceptor_of(meeting, mentorship)
        word = functools.partial(command_word, language=person.language)
        send(calendar_mail(person, template, token, dict(
            meeting_values(meeting, mentorship, person), **(values or {}),
            must_answer=person.id == acceptor.id and person.id not in accepted,
            confirmed=meeting.state == MeetingState.CONFIRMED,
            yes=signer.mailto(token, word(Keyword.YES)), no=signer.mailto(token, word(Keyword.NO)),
            cancel=signer.mailto(token, word(Keyword.CANCEL)),
            plan=signer.address(plan_token(mentorship, person))), ics, "REQUEST"))


def send_cancellations(send: Send, settings: Settings, signer: TokenSigner, meeting: Meeting,
                       mentorship: Mentorship, now: datetime, cancelled_by: Person) -> None:
    """METHOD:CANCEL (sequence already raised by the caller) to both."""
    for person in (mentorship.mentee, mentorship.mentor):
        ics = build_cancel(invitation(settings, signer, meeting, mentorship, now, reader=person))
        values = dict(meeting_values(meeting, mentorship, person), cancelled_by=cancelled_by.name,
                      by_you=cancelled_by.id == person.id)
        send(calendar_mail(person, "meeting_cancelled", None, values, ics, "CANCEL"))


def decline_counter_mail(settings: Settings, signer: TokenSigner, meeting: Meeting,
                         mentorship: Mentorship, now: datetime, counter_by: Person,
                         values: dict) -> OutgoingMail:
    inv = invitation(settings, signer, meeting, mentorship, now, reader=counter_by)
    comment = ("Die vorgeschlagene Zeit passt nicht; der Termin bleibt wie eingeladen."
               if counter_by.language == "de"
               else "The proposed time does not suit; the meeting stays as invited.")
    ics = build_decline_counter(inv, counter_by.email, comment)
    return calendar_mail(counter_by, "meeting_counter_declined", None, values, ics,
                         "DECLINECOUNTER")


def duration_ok(start: datetime, end: datetime) -> bool:
    """A meeting as long as the meeting form allows (a client's invitation or counter proposal may
    not be)."""
    shortest, longest = MEETING_MINUTES
    return timedelta(minutes=shortest) <= end - start <= timedelta(minutes=longest)


def calendar_mail(person: Person, template: str, token: Token | None, values: dict, ics: bytes,
                  method: str) -> OutgoingMail:
    """A mail to person that carries an iTIP object (ics with this METHOD)."""
    return OutgoingMail(template=template, to=person.email, to_name=person.name,
                        language=person.language, values=values, reply_token=token,
                        alternatives=(imip_mime_part(ics, method),))


def send_feedback_form(send: Send, signer: TokenSigner, meeting: Meeting, mentorship: Mentorship,
                       person: Person, *, errors=(), values=None, first: bool = False) -> None:
    """The feedback form; the first of a mentorship (domain.fit.asks_fit) asks about the fit too."""
    token = Token("reply", "feedback", meeting.id, person.id)
    form = "first_feedback" if first else "feedback"
    send(OutgoingMail(template="meeting_feedback", to=person.email, to_name=person.name,
                      language=person.language, reply_token=token, values=dict(
                          meeting_values(meeting, mentorship, person), errors=list(errors),
                          first=first, form=render_form(form, values or {}, person.language))))
