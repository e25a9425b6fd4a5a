"""The sponsor report's figures for one period, counted from the store: what funders ask for
(pairs started, active, completed, meetings and hours, ratings, completion and expiries), without
names unless the coordinator asks for them.

The period runs from the first day's start to the last day's end in the programme's time zone;
meetings count once they have ended (before now). Definitions, so the figures can be checked:
started = requests accepted in the period; active = accepted before the period ended and not
completed before it began; completion rate = completed / active; declines and expiries = requests
the mentor declined or let run out in the period.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..store.models import Feedback, Meeting, Mentorship
from ..store.states import MeetingState, MentorshipState
from .pulse import mean_score


@dataclass(frozen=True)
class PairRow:
    """One pair active in the period, for REPORT … NAMES."""

    mentorship: int
    mentee: str
    mentor: str
    state: str
    started: date | None
    completed: date | None
    meetings: int
    hours: float


@dataclass(frozen=True)
class ReportFigures:
    first: date
    last: date
    started: int
    active: int
    completed: int
    meetings_held: int
    hours: float
    rating: float | None
    ratings: int
    pulse: float | None
    completion_rate: float | None  # percent
    declines: int
    expiries: int
    pairs: list[PairRow] = field(default_factory=list)


def period_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of the days first..last in zone, as aware datetimes."""
    tz = ZoneInfo(zone)
    return (datetime.combine(first, time(), tz),
            datetime.combine(last + timedelta(days=1), time(), tz))


def report_figures(session: Session, first: date, last: date, zone: str, now: datetime,
                   names: bool = False) -> ReportFigures:
    start, end = period_bounds(first, last, zone)
    active = _active(session, start, end)
    held = _held_meetings(session, start, min(end, now))
    hours_by_pair: dict[int, float] = {}
    count_by_pair: dict[int, int] = {}
    for meeting in held:
        hours = (meeting.ends_at - meeting.starts_at).total_seconds() / 3600
        hours_by_pair[meeting.mentorship_id] = hours_by_pair.get(meeting.mentorship_id, 0) + hours
        count_by_pair[meeting.mentorship_id] = count_by_pair.get(meeting.mentorship_id, 0) + 1
    rating, ratings = _ratings(session, [m.id for m in held])
    completed = _count(session, Mentorship.completed_at >= start, Mentorship.completed_at < end)
    pairs = [_pair(m, count_by_pair, hours_by_pair) for m in active] if names else []
    return ReportFigures(
        first=first, last=last, started=_count(session, *_started(start, end)),
        active=len(active), completed=completed, meetings_held=len(held),
        hours=round(sum(hours_by_pair.values()), 2), rating=rating, ratings=ratings,
        pulse=mean_score(session, start, min(end, now))[0],
        completion_rate=round(100 * completed / len(active), 1) if active else None,
        declines=_closed(session, "declined", start, end),
        expiries=_closed(session, "expired", start, end), pairs=pairs)


def _started(start: datetime, end: datetime) -> tuple:
    return (Mentorship.answered_at >= start, Mentorship.answered_at < end,
            Mentorship.state != MentorshipState.DECLINED)


def _count(session: Session, *conditions) -> int:
    return session.scalar(select(func.count(Mentorship.id)).where(*conditions)) or 0


def _active(session: Session, start: datetime, end: datetime) -> list[Mentorship]:
    return list(session.scalars(select(Mentorship).options(
        joinedload(Mentorship.mentee), joinedload(Mentorship.mentor)).where(
        Mentorship.answered_at < end,
        Mentorship.state.not_in((MentorshipState.DECLINED, MentorshipState.REQUESTED)),
        or_(Mentorship.completed_at.is_(None), Mentorship.completed_at >= start))
        .order_by(Mentorship.id)).unique())


def _held_meetings(session: Session, start: datetime, end: datetime) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(
        Meeting.state == MeetingState.CONFIRMED, Meeting.ends_at >= start,
        Meeting.ends_at <= end)))


def _ratings(session: Session, meeting_ids: list[int]) -> tuple[float | None, int]:
    if not meeting_ids:
        return None, 0
    average, count = session.execute(select(func.avg(Feedback.rating), func.count(Feedback.rating))
                                     .where(Feedback.meeting_id.in_(meeting_ids))).one()
    return (round(float(average), 2) if average is not None else None), count or 0


def _closed(session: Session, how: str, start: datetime, end: datetime) -> int:
    return _count(session, and_(Mentorship.request_closed_as == how,
                                Mentorship.answered_at >= start, Mentorship.answered_at < end))


def _pair(m: Mentorship, counts: dict[int, int], hours: dict[int, float]) -> PairRow:
    return PairRow(m.id, m.mentee.name, m.mentor.name, m.state,
                   m.answered_at.date() if m.answered_at else None,
                   m.completed_at.date() if m.completed_at else None,
                   counts.get(m.id, 0), round(hours.get(m.id, 0.0), 2))
