"""Which mentorship or meeting a command is about: the one the replied-to mail names (its token),
else the sender's only running mentorship. One answer for every flow, and when there is none the
catalogue's reason for it."""
from __future__ import annotations

from typing import Callable

from ..domain.mentorships import is_party, running_of
from ..outcomes import Polite
from ..reasons import Reason
from ..store.models import Meeting, Mentorship
from ..tokens import MEETING_PURPOSES, MENTORSHIP_PURPOSES
from .context import Context

Narrow = Callable[[list[Mentorship]], list[Mentorship]]


def mentorship_of(ctx: Context, narrow: Narrow | None = None) -> Mentorship:
    """The mentorship this command is about: the one the replied-to mail names (a token naming a
    mentorship, or a meeting of it), else the sender's only running one. narrow, when given, may
    pick among several running ones (those it returns; none counts as all)."""
    named = named_mentorship(ctx)
    if named is not None:
        return named
    running = running_of(ctx.session, ctx.person) if ctx.person is not None else []
    if narrow is not None and len(running) > 1:
        running = narrow(running) or running
    if len(running) != 1:
        raise Polite(Reason.WHICH_MENTORSHIP, count=len(running))
    return running[0]


def named_mentorship(ctx: Context) -> Mentorship | None:
    """The mentorship the token names, directly or through one of its meetings; None when the
    token names neither. Only its participants may speak of it."""
    token = ctx.inbound.token
    if token is not None and token.purpose in MEETING_PURPOSES:
        return meeting_and_mentorship(ctx)[1]
    if token is None or token.purpose not in MENTORSHIP_PURPOSES:
        return None
    mentorship = ctx.session.get(Mentorship, token.object_id)
    if mentorship is None or not is_party(mentorship, ctx.person):
        raise Polite(Reason.NOT_A_PARTY, mentorship=token.object_id)
    return mentorship


def named_meeting(ctx: Context) -> Meeting | None:
    """The meeting the token names; None when it names none."""
    token = ctx.inbound.token
    if token is None or token.purpose not in MEETING_PURPOSES:
        return None
    meeting = ctx.session.get(Meeting, token.object_id)
    if meeting is None:
        raise Polite(Reason.NO_SUCH_MEETING, meeting=token.object_id)
    return meeting


def meeting_and_mentorship(ctx: Context) -> tuple[Meeting, Mentorship]:
    """The meeting the token names and its mentorship, which the sender must be a participant of."""
    meeting = named_meeting(ctx)
    if meeting is None:
        raise Polite(Reason.NO_MEETING_NAMED)
    mentorship = ctx.session.get(Mentorship, meeting.mentorship_id)
    if not is_party(mentorship, ctx.person):
        raise Polite(Reason.NOT_A_PARTICIPANT, meeting=meeting.id)
    return meeting, mentorship
