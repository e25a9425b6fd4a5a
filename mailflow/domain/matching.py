"""How well a mentor fits a mentee, the next best mentors for one mentee, and the best overall
assignment of every unmatched mentee to the mentors' free places.

One score for both, so that the mentors offered after an expired request and the pairs a
coordinator is proposed agree: 10 points per shared topic, 5 for a shared language, minus 1 per
hour between the two time zones (now, daylight saving included). A pair whose request was
declined or expired before is never suggested again. The assignment is an assignment problem
over mentors expanded by their free places, solved by scipy's linear_sum_assignment (Hungarian
method, rectangular when mentees and places differ in number); the scores are computed as numpy
matrices, so 3,000 mentees and 3,000 places take seconds (bench/matching.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.models import Mentorship, Person
from ..store.states import MentorshipState
from .mentorships import free_places

TOPIC_POINTS, LANGUAGE_POINTS, HOUR_POINTS = 10.0, 5.0, 1.0
# never suggest again: the mentor said no to this mentee, or let the request run out
CLOSED_BEFORE = ("declined", "expired")
FORBIDDEN = -1e6


@dataclass(frozen=True)
class Fit:
    """One mentor for one mentee, with the parts of the score that explain it."""

    mentee: Person
    mentor: Person
    score: float
    shared: tuple[str, ...]
    same_language: bool
    hours_apart: float

    def explanation(self) -> str:
        """The score in one line, in the programme's own terms (the mails add their words)."""
        topics = (f"{len(self.shared)} shared topics ({', '.join(self.shared)})" if self.shared
                  else "no shared topic")
        language = (f"same language ({self.mentor.language})" if self.same_language
                    else f"languages {self.mentee.language}/{self.mentor.language}")
        return f"{_points(self.score)}: {topics}; {language}; {self.hours_apart:g} h apart"


def _points(score: float) -> str:
    return f"{score:g} points"


@lru_cache(maxsize=512)
def _offset_hours(zone: str, hour: datetime) -> float:
    try:
        offset = hour.astimezone(ZoneInfo(zone)).utcoffset()
    except (KeyError, ValueError):  # an unknown zone counts as UTC rather than failing a match
        return 0.0
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def _topics(person: Person) -> dict[str, str]:
    """Topics by their folded spelling (so "career planning" meets "Career Planning")."""
    return {" ".join(t.split()).casefold(): t for t in (person.topics or []) if t.strip()}


def score_matrix(mentees: list[Person], mentors: list[Person], now: datetime,
                 closed_pairs: set[tuple[int, int]] = frozenset()) -> np.ndarray:
    """scores[i, j] of mentor j for mentee i, FORBIDDEN where they must not be paired."""
    vocabulary: dict[str, int] = {}
    for person in (*mentees, *mentors):
        for topic in _topics(person):
            vocabulary.setdefault(topic, len(vocabulary))
    shared = _topic_matrix(mentees, vocabulary) @ _topic_matrix(mentors, vocabulary).T
    hour = now.replace(minute=0, second=0, microsecond=0)
    languages = np.array([p.language for p in mentors])
    same = np.array([p.language for p in mentees])[:, None] == languages[None, :]
    apart = np.abs(np.array([_offset_hours(p.timezone, hour) for p in mentees])[:, None]
                   - np.array([_offset_hours(p.timezone, hour) for p in mentors])[None, :])
    scores = TOPIC_POINTS * shared + LANGUAGE_POINTS * same - HOUR_POINTS * apart
    rows = {p.id: i for i, p in enumerate(mentees)}
    columns = {p.id: j for j, p in enumerate(mentors)}
    for mentee_id, mentor_id in closed_pairs | {(p.id, p.id) for p in mentees}:
        if mentee_id in rows and mentor_id in columns:
            scores[rows[mentee_id], columns[mentor_id]] = FORBIDDEN
    return scores


def _topic_matrix(people: list[Person], vocabulary: dict[str, int]) -> np.ndarray:
    matrix = np.zeros((len(people), max(1, len(vocabulary))), dtype=np.float32)
    for row, person in enumerate(people):
        for topic in _topics(person):
            matrix[row, vocabulary[topic]] = 1.0
    return matrix


def fit(mentee: Person, mentor: Person, now: datetime) -> Fit:
    """The score of mentor for mentee and what it is made of."""
    theirs = _topics(mentor)
    shared = tuple(spelled for folded, spelled in _topics(mentee).items() if folded in theirs)
    hour = now.replace(minute=0, second=0, microsecond=0)
    apart = abs(_offset_hours(mentee.timezone, hour) - _offset_hours(mentor.timezone, hour))
    same = mentee.language == mentor.language
    score = TOPIC_POINTS * len(shared) + LANGUAGE_POINTS * same - HOUR_POINTS * apart
    return Fit(mentee, mentor, score, shared, same, apart)


def open_places(session: Session, mentors: list[Person]) -> dict[int, int]:
    """Free places not yet asked for: capacity minus running mentorships minus open requests, so
    that a mentor with one place is not sent two requests at once."""
    asked = dict(session.execute(
        select(Mentorship.mentor_id, func.count(Mentorship.id))
        .where(Mentorship.mentor_id.in_([m.id for m in mentors]),
               Mentorship.state == MentorshipState.REQUESTED)
        .group_by(Mentorship.mentor_id)).all())
    free = free_places(session, mentors)
    return {m.id: max(0, free[m.id] - asked.get(m.id, 0)) for m in mentors}


def mentors_with_places(session: Session) -> list[tuple[Person, int]]:
    """Reachable mentors with at least one open place, and how many."""
    mentors = list(session.scalars(select(Person).where(
        Person.role == "mentor", Person.deleted_at.is_(None), Person.bounced_at.is_(None))
        .order_by(Person.id)))
    places = open_places(session, mentors)
    return [(m, places[m.id]) for m in mentors if places[m.id] > 0]


def unmatched_mentees(session: Session) -> list[Person]:
    """Reachable mentees who never had a request accepted and have none open: those a batch
    proposal is for."""
    taken = select(Mentorship.mentee_id).where(Mentorship.state != MentorshipState.DECLINED)
    return list(session.scalars(select(Person).where(
        Person.role == "mentee", Person.deleted_at.is_(None), Person.bounced_at.is_(None),
        Person.id.not_in(taken)).order_by(Person.id)))


def closed_pairs(session: Session) -> set[tuple[int, int]]:
    """(mentee, mentor) of every request the mentor declined or let expire."""
    query = select(Mentorship.mentee_id, Mentorship.mentor_id).where(
        Mentorship.request_closed_as.in_(CLOSED_BEFORE))
    return {(mentee, mentor) for mentee, mentor in session.execute(query)}


def next_best_mentors(session: Session, mentee: Person, now: datetime,
                      limit: int = 3) -> list[Fit]:
    """The mentors with a free place who fit mentee best, best first (ties by name)."""
    closed = {mentor for m, mentor in closed_pairs(session) if m == mentee.id}
    fits = [fit(mentee, mentor, now) for mentor, _ in mentors_with_places(session)
            if mentor.id not in closed and mentor.id != mentee.id]
    return sorted(fits, key=lambda f: (-f.score, f.mentor.name, f.mentor.id))[:limit]


def best_assignment(session: Session, now: datetime) -> tuple[list[Fit], list[Person]]:
    """Every unmatched mentee paired with a free place so that the sum of the scores is the
    highest possible; returns the pairs (best first) and the mentees left without a place."""
    mentees = unmatched_mentees(session)
    offered = mentors_with_places(session)
    mentors = [mentor for mentor, _ in offered]
    if not mentees or not mentors:
        return [], mentees
    scores = score_matrix(mentees, mentors, now, closed_pairs(session))
    # imported here: scipy.optimize costs every process ~50 MB, and only PROPOSE needs it
    from scipy.optimize import linear_sum_assignment
    places = np.repeat(np.arange(len(mentors)), [count for _, count in offered])
    rows, columns = linear_sum_assignment(scores[:, places], maximize=True)
    pairs = [(mentees[r], mentors[places[c]]) for r, c in zip(rows, columns)
             if scores[r, places[c]] > FORBIDDEN / 2]
    fits = sorted((fit(mentee, mentor, now) for mentee, mentor in pairs),
                  key=lambda f: (-f.score, f.mentee.name, f.mentee.id))
    paired = {f.mentee.id for f in fits}
    return fits, [m for m in mentees if m.id not in paired]
