"""Programme figures, as the digest and the coordinators' STATS answer show them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..store.models import Certificate, Feedback, Meeting, Mentorship, Person
from ..store.states import MENTORSHIP_STATES, MeetingState


def figures(session: Session, settings, now: datetime) -> dict:
    """Programme figures: mentorships by state, people by role, meetings held and planned,
    ratings, and how many requests mentors declined or let expire."""
    states = dict(session.execute(select(Mentorship.state, func.count())
                                  .group_by(Mentorship.state)).all())
    roles = dict(session.execute(select(Person.role, func.count())
                                 .where(Person.deleted_at.is_(None))
                                 .group_by(Person.role)).all())
    held, planned = session.execute(select(
        func.sum(case((Meeting.ends_at <= now, 1), else_=0)),
        func.sum(case((Meeting.starts_at > now, 1), else_=0)))
        .where(Meeting.state == MeetingState.CONFIRMED)).one()
    average, ratings = session.execute(select(func.avg(Feedback.rating),
                                              func.count(Feedback.rating))).one()
    certificates = session.scalar(select(func.count(Certificate.id))) or 0
    closed = dict(session.execute(select(Mentorship.request_closed_as, func.count())
                                  .where(Mentorship.request_closed_as != "")
                                  .group_by(Mentorship.request_closed_as)).all())
    return {"states": {s: states.get(s, 0) for s in MENTORSHIP_STATES},
            "mentees": roles.get("mentee", 0), "mentors": roles.get("mentor", 0),
            "meetings_held": int(held or 0), "meetings_planned": int(planned or 0),
            "rating": round(float(average), 1) if average is not None else None,
            "ratings": ratings or 0, "certificates": certificates,
            "declines": closed.get("declined", 0), "expiries": closed.get("expired", 0)}
