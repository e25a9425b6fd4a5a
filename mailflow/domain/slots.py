"""Up to three slots offered at once: each slot is a meeting of its own (its own UID), offered to
the other side as a tentative invitation; they pick one by their calendar's accept button, by a
reply with its number ("2") or by a one-click link. The chosen slot is the meeting; the others
are cancelled (METHOD:CANCEL, SEQUENCE+1) in the picker's calendar at once. The proposer gets no
calendar entry until one is chosen."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..outgoing.calendar import build_cancel, build_request
from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import Meeting, Mentorship, Person
from ..store.states import MeetingState
from ..tokens import Token, TokenSigner
from . import meetings as svc
from .sending import Send


def new_slots(session: Session, settings: Settings, *, times: list[tuple[datetime, datetime]],
              **details) -> list[Meeting]:
    """One offered meeting per (start, end); details as for meetings.new_meeting."""
    slots = []
    for number, (start, end) in enumerate(times, start=1):
        slot = svc.new_meeting(session, settings, start=start, end=end, **details)
        slot.state, slot.slot_number = MeetingState.OFFERED, number
        slot.offer_id = slots[0].id if slots else slot.id
        slots.append(slot)
    session.flush()
    return slots


def slots_of(session: Session, meeting: Meeting) -> list[Meeting]:
    """Every slot offered together with meeting, in their order."""
    return list(session.scalars(select(Meeting).where(Meeting.offer_id == meeting.offer_id)
                                .order_by(Meeting.slot_number)))


def slot_token(slot: Meeting, person: Person) -> Token:
    return Token("reply", "meeting", slot.id, person.id)


def options(signer: TokenSigner, slots: list[Meeting], mentorship: Mentorship,
            reader: Person) -> list[dict]:
    """The slots as a mail lists them: number, time in reader's zone, and a one-click link that
    picks it (a reply with its number)."""
    return [dict(number=slot.slot_number,
                 when=svc.time_for(reader, mentorship, slot, slot.starts_at, slot.ends_at),
                 pick=signer.mailto(slot_token(slot, reader), str(slot.slot_number)))
            for slot in slots]


def send_offer(send: Send, settings: Settings, signer: TokenSigner, slots: list[Meeting],
               mentorship: Mentorship, now: datetime) -> None:
    """A tentative REQUEST per slot to the one who picks; the proposer hears what was offered."""
    picker = svc.acceptor_of(slots[0], mentorship)
    proposer = svc.proposer_of(slots[0], mentorship)
    listed = options(signer, slots, mentorship, picker)
    for slot in slots:
        ics = build_request(svc.invitation(settings, signer, slot, mentorship, now,
                                           reader=picker, accepted=(proposer.id,)))
        token = slot_token(slot, picker)
        values = dict(svc.meeting_values(slot, mentorship, picker), options=listed,
                      number=slot.slot_number, count=len(slots),
                      yes=signer.mailto(token, command_word(Keyword.YES, picker.language)))
        send(svc.calendar_mail(picker, "meeting_slot_invitation", token, values, ics,
                               "REQUEST"))
    values = dict(svc.meeting_values(slots[0], mentorship, proposer),
                  options=options(signer, slots, mentorship, proposer), count=len(slots))
    send(OutgoingMail(template="meeting_slots_offered", to=proposer.email,
                      to_name=proposer.name, language=proposer.language, values=values,
                      reply_token=None))


def choose(session: Session, send: Send, settings: Settings, signer: TokenSigner,
           slot: Meeting, mentorship: Mentorship, now: datetime) -> list[Meeting]:
    """slot becomes the meeting, confirmed by both (REQUEST to both: the proposer's calendar gets
    it, the picker's turns from tentative to confirmed); every other slot is cancelled in the
    picker's calendar. Returns the cancelled ones."""
    picker = svc.acceptor_of(slot, mentorship)
    released = [other for other in slots_of(session, slot)
                if other.id != slot.id and other.state != MeetingState.CANCELLED]
    for other in released:
        other.state, other.sequence = MeetingState.CANCELLED, other.sequence + 1
        ics = build_cancel(svc.invitation(settings, signer, other, mentorship, now,
                                          reader=picker))
        values = dict(svc.meeting_values(other, mentorship, picker), number=other.slot_number,
                      chosen=slot.slot_number)
        send(svc.calendar_mail(picker, "meeting_slot_released", None, values, ics, "CANCEL"))
    slot.state = MeetingState.CONFIRMED
    mentorship.last_activity_at = now
    svc.send_invitations(send, settings, signer, slot, mentorship, now,
                         accepted=(mentorship.mentee_id, mentorship.mentor_id))
    return released
