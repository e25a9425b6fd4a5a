"""The catalogue of suggested topics and questions (mailflow/data/topics.json, German and English),
and which phase of a mentorship it serves now: the start, the middle or the closing."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from importlib import resources

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..store.models import Meeting, Mentorship
from ..store.states import NOT_STARTED, PLANNED, MentorshipState
from .completion import held_meetings
from .mentorships import current_agreement

PHASES = ("start", "middle", "closing")


@lru_cache(maxsize=1)
def catalogue() -> dict:
    return json.loads(resources.files("mailflow").joinpath("data/topics.json").read_text("utf-8"))


def suggestions(phase: str, language: str) -> dict:
    """{"title", "topics", "questions"} for phase in language (English for any other language)."""
    entry = catalogue()[phase]
    return entry.get(language) or entry["en"]


def phase_of(session: Session, mentorship: Mentorship | None, now: datetime) -> str:
    """start: no agreement or no meeting held yet; closing: ending, a closing meeting planned, the
    agreed meetings (nearly) all held or three quarters of the period gone; the middle otherwise."""
    if mentorship is None or mentorship.state in NOT_STARTED:
        return "start"
    if mentorship.state in (MentorshipState.ENDING, MentorshipState.COMPLETED):
        return "closing"
    agreement = current_agreement(session, mentorship)
    held = len(held_meetings(session, mentorship, now))
    if agreement is None or held == 0:
        return "start"
    closing_planned = session.scalar(select(exists().where(
        Meeting.mentorship_id == mentorship.id, Meeting.closing.is_(True),
        Meeting.state.in_(PLANNED))))
    length = (agreement.period_until - agreement.period_from).days or 1
    gone = (now.date() - agreement.period_from).days / length
    if closing_planned or held >= max(agreement.meetings - 1, 1) or gone >= 0.75:
        return "closing"
    return "middle"
