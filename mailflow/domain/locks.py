"""Taking a decision once: before a flow reads the state it decides on, the worker locks the
mentorship the mail is about (SELECT … FOR UPDATE on PostgreSQL; SQLite's one writer serialises
already). A second worker with the same answer then waits, reads the decided state and gets the
polite "already done". Locks are taken in mentorship-id order, so two workers never wait on each
other in a circle."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..store.models import AgreementVersion, Meeting, Mentorship, Person
from ..store.states import FINISHED
from ..tokens import AGREEMENT_VERSION_PURPOSES, MEETING_PURPOSES, MENTORSHIP_PURPOSES, Token


def lock_for_decision(session: Session, token: Token | None, person: Person | None) -> list[int]:
    """Lock the mentorship(s) a mail may decide on: the one its token names (directly, or through a
    meeting or an agreement version), else every unsettled one of its sender. Returns their ids."""
    named = _named_mentorship(session, token)
    if named is not None:
        ids = [named]
    elif person is not None:
        ids = list(session.scalars(select(Mentorship.id).where(
            or_(Mentorship.mentee_id == person.id, Mentorship.mentor_id == person.id),
            Mentorship.state.not_in(FINISHED)).order_by(Mentorship.id)))
    else:
        return []
    if ids:  # populate_existing: what this session read before the lock is read again, as decided
        session.scalars(select(Mentorship).where(Mentorship.id.in_(ids)).order_by(Mentorship.id)
                        .with_for_update().execution_options(populate_existing=True)).all()
    return ids


def _named_mentorship(session: Session, token: Token | None) -> int | None:
    if token is None:
        return None
    if token.purpose in MENTORSHIP_PURPOSES:
        return token.object_id
    if token.purpose in MEETING_PURPOSES:
        return session.scalar(select(Meeting.mentorship_id).where(Meeting.id == token.object_id))
    if token.purpose in AGREEMENT_VERSION_PURPOSES:
        return session.scalar(select(AgreementVersion.mentorship_id)
                              .where(AgreementVersion.id == token.object_id))
    return None
