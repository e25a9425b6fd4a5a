"""Mentorships gone quiet, past the inactivity nudge: every scheduled nudge is kept as a
quiet_notice row, and a mentorship whose last two nudges both came after its last activity (mail,
meeting, an answer to the nudge) is stalled. The digest lists stalled pairs; with
MAILFLOW_STALLED_CLOSE_DAYS set, a stalled pair is warned once that many days after the second
nudge and closed that many days after the warning, if nobody answered (Chronus)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..outgoing.compose import OutgoingMail
from ..store.models import Mentorship, Person, QuietNotice
from ..store.states import MAY_GO_QUIET
from ..tokens import Token, TokenSigner
from .mentorships import other_side
from .sending import Send

NUDGE, WARNING, CLOSED = "nudge", "warning", "closed"
STALLED_AFTER = 2  # unanswered nudges


def record_nudge(session: Session, mentorship: Mentorship, now: datetime) -> None:
    """That the scheduled inactivity nudge went to mentorship's participants now."""
    session.add(QuietNotice(mentorship_id=mentorship.id, kind=NUDGE, sent_at=now))


def last_activity():
    """When a mentorship last showed life (as the inactivity nudge reads it)."""
    return func.coalesce(Mentorship.last_activity_at, Mentorship.answered_at,
                         Mentorship.requested_at)


def _unanswered(kind: str):
    """Per mentorship, its notices of kind sent after its last activity: how many, the latest."""
    return (select(QuietNotice.mentorship_id, func.count(QuietNotice.id).label("count"),
                   func.max(QuietNotice.sent_at).label("latest"))
            .join(Mentorship, Mentorship.id == QuietNotice.mentorship_id)
            .where(QuietNotice.kind == kind, QuietNotice.sent_at > last_activity())
            .group_by(QuietNotice.mentorship_id).subquery())


def stalled_query():
    """(query, latest nudge column, warning column): the query gives (mentorship, its latest
    unanswered nudge, its unanswered warning or None) of every running mentorship with
    STALLED_AFTER nudges since its last activity; the columns let a caller narrow it."""
    nudges, warnings = _unanswered(NUDGE), _unanswered(WARNING)
    query = (select(Mentorship, nudges.c.latest, warnings.c.latest)
             .join(nudges, nudges.c.mentorship_id == Mentorship.id)
             .outerjoin(warnings, warnings.c.mentorship_id == Mentorship.id)
             .where(Mentorship.state.in_(MAY_GO_QUIET), nudges.c.count >= STALLED_AFTER))
    return query, nudges.c.latest, warnings.c.latest


def stalled(session: Session, now: datetime, close_days: int,
            limit: int) -> tuple[list[dict], int]:
    """The stalled pairs for the digest, quiet longest first: since when, the last nudge, and when
    the pair is warned or closed, if that is switched on."""
    query, _, _ = stalled_query()
    rows = session.execute(query.options(joinedload(Mentorship.mentee),
                                         joinedload(Mentorship.mentor))
                           .order_by(last_activity(), Mentorship.id).limit(limit)).unique().all()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = []
    for mentorship, nudged, warned in rows:
        quiet = mentorship.last_activity_at or mentorship.answered_at or mentorship.requested_at
        closes = warned + timedelta(days=close_days) if warned and close_days else None
        items.append({"id": mentorship.id, "mentee": mentorship.mentee.name,
                      "mentor": mentorship.mentor.name, "since": quiet,
                      "days": (now - quiet).days, "nudged": nudged, "warned": warned,
                      "closes": closes})
    return items, total


def send_quiet_mail(signer: TokenSigner, send: Send, template: str, mentorship: Mentorship,
                    person: Person, values: dict) -> None:
    """A warning or closing mail; an answer to it goes to the coordinators as a check-in answer
    does (and counts as activity)."""
    token = Token("reply", "checkin", mentorship.id, person.id)
    send(OutgoingMail(template=template, to=person.email, to_name=person.name,
                      language=person.language, reply_token=token,
                      values=dict(values, other=other_side(mentorship, person).name)))
