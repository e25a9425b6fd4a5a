"""The relationship pulse (Mentorloop's quality score): 30 days after the agreement was approved and
every 60 days after, each side is asked "how is your mentorship going? 1–5" with five one-click
links. Low answers (1 or 2) go to the coordinators' needs-attention list; the digest shows the
programme's average. The answers live in pulse_check (score, answered_at), one row per mentorship,
person and period, so a report can average them over any time range."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..outgoing.compose import OutgoingMail
from ..store.models import Mentorship, Person, PulseCheck
from ..tokens import Token, TokenSigner
from .mentorships import other_side
from .opt_outs import participant_opt_out
from .sending import Send

FIRST = timedelta(days=30)  # after the agreement's approval (Mentorship.activated_at)
EVERY = timedelta(days=60)
LOW = 2  # this score and below needs the coordinators' attention
AVERAGE_DAYS = 90  # the digest's average covers the answers of this many days
SCORES = (1, 2, 3, 4, 5)


def period_at(activated_at: datetime, now: datetime) -> int | None:
    """The pulse period a mentorship approved at activated_at is in at now (0 from day 30, 1 from
    day 90, …); None before the first. A scheduler that was down asks for the current one only."""
    if now < activated_at + FIRST:
        return None
    return (now - activated_at - FIRST) // EVERY


def pulse_token(check: PulseCheck) -> Token:
    """The reply address of one pulse question: bound to its person, naming the question."""
    return Token("reply", "pulse", check.id, check.person_id)


def send_pulse(signer: TokenSigner, send: Send, check: PulseCheck, mentorship: Mentorship,
               person: Person, *, unreadable: str = "") -> None:
    """The one-question mail: five mailto links, each a reply with its score prefilled."""
    token = pulse_token(check)
    links = [{"score": score, "link": signer.mailto(token, str(score))} for score in SCORES]
    send(OutgoingMail(template="pulse", to=person.email, to_name=person.name,
                      language=person.language, reply_token=token,
                      unsubscribe=participant_opt_out(person), values=dict(
                          other=other_side(mentorship, person).name, links=links,
                          unreadable=unreadable[:200])))


def record_answer(check: PulseCheck, score: int, comment: str, now: datetime) -> None:
    """The person's answer; a later answer to the same question replaces it."""
    check.score, check.comment, check.answered_at = score, comment[:2000], now


def low_answers(session: Session, since: datetime, limit: int) -> tuple[list[dict], int]:
    """Pulse answers of LOW or below given since, newest first (at most limit), and how many."""
    query = (select(PulseCheck, Person).join(Person, Person.id == PulseCheck.person_id)
             .where(PulseCheck.score <= LOW, PulseCheck.answered_at >= since))
    rows = session.execute(query.order_by(PulseCheck.answered_at.desc()).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return [{"id": check.mentorship_id, "who": person.name, "score": check.score,
             "comment": check.comment, "on": check.answered_at} for check, person in rows], total


def average(session: Session, now: datetime) -> dict:
    """The programme's pulse: the mean score of the answers of the last AVERAGE_DAYS days."""
    mean, answers = mean_score(session, now - timedelta(days=AVERAGE_DAYS), now)
    return {"average": mean, "answers": answers, "days": AVERAGE_DAYS}


def mean_score(session: Session, start: datetime, end: datetime) -> tuple[float | None, int]:
    """The mean pulse of the answers given in [start, end), to one decimal, and how many."""
    mean, answers = session.execute(
        select(func.avg(PulseCheck.score), func.count(PulseCheck.id))
        .where(PulseCheck.score.is_not(None), PulseCheck.answered_at >= start,
               PulseCheck.answered_at < end)).one()
    return (round(float(mean), 1) if answers else None), answers
