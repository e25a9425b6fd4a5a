"""The fit check after the first meeting (Together's "pairing fit"): a person's feedback form asks
"good fit? yes / not sure / no" until they have answered it or held a meeting in the mentorship. A
"no" is for the coordinators only, never for the other side."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..store.models import Feedback, Meeting

ANSWERS = ("yes", "unsure", "no")


def asks_fit(session: Session, mentorship_id: int, person_id: int, meeting_id: int) -> bool:
    """Whether person's feedback form for meeting is their first of the mentorship: no feedback of
    theirs on another of its meetings said it took place or answered the fit question."""
    earlier = (select(Feedback.id).join(Meeting, Meeting.id == Feedback.meeting_id)
               .where(Meeting.mentorship_id == mentorship_id, Feedback.person_id == person_id,
                      Feedback.meeting_id != meeting_id,
                      or_(Feedback.took_place.is_(True), Feedback.good_fit.is_not(None)))
               .limit(1))
    return session.scalar(earlier) is None
