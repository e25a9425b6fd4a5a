"""Answers to slots offered together: the picker accepts one tentative invitation in their
calendar, or replies with its number ("2", or the one-click link), and that slot becomes the
meeting while the others are cancelled; declining every slot asks the proposer for new dates.
Only the one who picks (the side that did not propose) may choose."""
from __future__ import annotations

from ..domain import meetings as svc
from ..domain import slots
from ..outcomes import Polite
from ..parsers.forms import render_form
from ..reasons import Reason
from ..store.models import Meeting, Mentorship, Person
from ..store.states import MeetingState
from .context import Context
from .finding import meeting_and_mentorship


def pick_by_number(ctx: Context, number: int) -> str:
    """A reply with a slot's number to any of the offer's mails."""
    meeting, mentorship = meeting_and_mentorship(ctx)
    chosen = next((s for s in slots.slots_of(ctx.session, meeting) if s.slot_number == number),
                  None)
    if chosen is None:
        raise Polite(Reason.NO_SUCH_SLOT, meeting=meeting.id, number=number)
    return answer(ctx, chosen, mentorship, ctx.person, "ACCEPTED")


def answer(ctx: Context, slot: Meeting, mentorship: Mentorship, person: Person,
           partstat: str) -> str:
    """What the picker's answer to one slot means: ACCEPTED chooses it, DECLINED rules it out."""
    if person.id != svc.acceptor_of(slot, mentorship).id:
        raise Polite(Reason.OWN_PROPOSAL, meeting=slot.id)
    if slot.state != MeetingState.OFFERED:
        raise Polite(Reason.SLOT_ALREADY_CHOSEN, meeting=slot.id)
    if partstat == "ACCEPTED":
        released = slots.choose(ctx.session, ctx.send, ctx.settings, ctx.signer, slot,
                                mentorship, ctx.now)
        return (f"slot {slot.slot_number} (meeting {slot.id}) chosen by {person.email}; "
                f"{len(released)} other slots cancelled")
    if partstat != "DECLINED":
        return f"slot {slot.slot_number} (meeting {slot.id}): {partstat} noted"
    slot.state = MeetingState.DECLINED
    if any(s.state == MeetingState.OFFERED for s in slots.slots_of(ctx.session, slot)):
        return f"slot {slot.slot_number} (meeting {slot.id}) declined; others still open"
    return _all_declined(ctx, slot, mentorship)


def _all_declined(ctx: Context, slot: Meeting, mentorship: Mentorship) -> str:
    """No slot suits: the proposer gets the meeting form for new dates."""
    proposer = svc.proposer_of(slot, mentorship)
    mentorship.last_activity_at = ctx.now
    values = dict(svc.meeting_values(slot, mentorship, proposer),
                  options=slots.options(ctx.signer, slots.slots_of(ctx.session, slot),
                                        mentorship, proposer),
                  form=render_form("meeting", {"place": slot.place, "topic": slot.topic},
                                   proposer.language))
    token = ctx.token_for("meetform", mentorship.id, proposer)
    ctx.send(ctx.mail_to(proposer, "meeting_slots_declined", reply_token=token, values=values))
    return f"every slot of offer {slot.offer_id} declined"
