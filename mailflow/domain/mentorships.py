"""Mentorships as several flows and jobs see them: who is free, what is open, what is current,
who is on which side, and the one function that changes a mentorship's state."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..store.models import AgreementVersion, Mentorship, Person
from ..store.states import MENTORSHIP_STATES, RUNNING, MentorshipState, VersionState

# where the moment a mentorship first reached a state is kept
FIRST_REACHED = {MentorshipState.ACCEPTED: "answered_at", MentorshipState.DECLINED: "answered_at",
                 MentorshipState.ACTIVE: "activated_at", MentorshipState.COMPLETED: "completed_at"}


def free_places(session: Session, mentors: list[Person]) -> dict[int, int]:
    """Capacity minus running mentorships, for many mentors in one query."""
    ids = [m.id for m in mentors]
    taken = dict(session.execute(
        select(Mentorship.mentor_id, func.count(Mentorship.id))
        .where(Mentorship.mentor_id.in_(ids), Mentorship.state.in_(RUNNING))
        .group_by(Mentorship.mentor_id)).all())
    return {m.id: max(0, m.capacity - taken.get(m.id, 0)) for m in mentors}


def open_request_of(session: Session, mentee: Person) -> Mentorship | None:
    return session.scalar(select(Mentorship).where(Mentorship.mentee_id == mentee.id,
                                                   Mentorship.state == MentorshipState.REQUESTED))


def running_of(session: Session, person: Person) -> list[Mentorship]:
    """Mentorships of person that have been accepted and not completed."""
    return list(session.scalars(select(Mentorship).where(
        or_(Mentorship.mentee_id == person.id, Mentorship.mentor_id == person.id),
        Mentorship.state.in_(RUNNING)).order_by(Mentorship.id)))


def move_to(mentorship: Mentorship, state: str, now: datetime, *,
            by: Person | None = None) -> None:
    """The one place a mentorship's state changes, stamped with when it first got there:
    answered_at (accepted, declined), activated_at (active), completed_at (completed); ending
    records who asked (by) and when. A NO to END goes back to active (or accepted) with its first
    stamps kept and the END request forgotten."""
    if state not in MENTORSHIP_STATES:
        raise ValueError(f"no mentorship state {state!r}")
    if state == MentorshipState.ENDING:
        if by is None:
            raise ValueError("ending needs the person who asked to end")
        mentorship.end_requested_by_id, mentorship.end_requested_at = by.id, now
    elif state in RUNNING:
        mentorship.end_requested_by_id = mentorship.end_requested_at = None
    stamp = FIRST_REACHED.get(state)
    if stamp is not None and getattr(mentorship, stamp) is None:
        setattr(mentorship, stamp, now)
    mentorship.state = state


def current_agreement(session: Session, mentorship: Mentorship) -> AgreementVersion | None:
    """The approved version that holds now (the newest approved one)."""
    return session.scalar(select(AgreementVersion).where(
        AgreementVersion.mentorship_id == mentorship.id,
        AgreementVersion.state == VersionState.APPROVED)
        .order_by(AgreementVersion.version.desc()).limit(1))


def latest_version_number(session: Session, mentorship: Mentorship) -> int:
    return session.scalar(select(func.max(AgreementVersion.version))
                          .where(AgreementVersion.mentorship_id == mentorship.id)) or 0


def other_side(mentorship: Mentorship, person: Person) -> Person:
    """The participant of mentorship who is not person."""
    return mentorship.mentor if person.id == mentorship.mentee_id else mentorship.mentee


def role_in(mentorship: Mentorship, person: Person) -> str:
    """"mentee" or "mentor": which side of mentorship person is on."""
    return "mentee" if person.id == mentorship.mentee_id else "mentor"


def is_party(mentorship: Mentorship, person: Person | None) -> bool:
    """Whether person is the mentee or the mentor of mentorship."""
    return person is not None and person.id in (mentorship.mentee_id, mentorship.mentor_id)
