"""Queries about mentorships that several flows share: who is free, what is open, what is
current."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..store.models import AgreementVersion, Mentorship, Person
from ..store.states import RUNNING, MentorshipState, VersionState


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
