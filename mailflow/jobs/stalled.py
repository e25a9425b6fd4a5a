"""Closing stalled mentorships, when MAILFLOW_STALLED_CLOSE_DAYS is set (off by default): a pair
with two unanswered inactivity nudges is warned once that many days after the second, and closed
that many days after the warning if still nobody answered. Closing issues certificates only when
meetings took place (then it completes as an END would); otherwise the mentorship is completed
without any. Idempotent: the warning and the closing are quiet_notice rows committed with their
mails, and any answer (activity) makes the pair not stalled any more."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, joinedload

from ..domain.completion import Issuing, complete, held_meetings
from ..domain.mentorships import move_to
from ..domain.quiet import CLOSED, WARNING, send_quiet_mail, stalled_query
from ..domain.sending import outbox
from ..store.models import Mentorship, QuietNotice
from ..store.states import MentorshipState

log = logging.getLogger(__name__)
BATCH = 200


def close_stalled(app, now: datetime) -> int:
    """Closings first, then warnings, so that a pair is never warned and closed in one pass."""
    days = app.settings.stalled_close_days
    if days <= 0:
        return 0
    with app.store.transaction() as session:
        done = _close(app, session, now, days)
    with app.store.transaction() as session:
        done += _warn(app, session, now, days)
    return done


def _due(session: Session, narrowed):
    query = narrowed.options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
    return session.execute(query.order_by(Mentorship.id).limit(BATCH)).unique().all()


def _warn(app, session: Session, now: datetime, days: int) -> int:
    query, nudged, warned = stalled_query()
    due = _due(session, query.where(warned.is_(None), nudged <= now - timedelta(days=days)))
    send = outbox(app.composer, session)
    for mentorship, _, _ in due:
        session.add(QuietNotice(mentorship_id=mentorship.id, kind=WARNING, sent_at=now))
        for person in _reachable(mentorship):
            send_quiet_mail(app.signer, send, "stalled_warning", mentorship, person,
                            {"closes": now + timedelta(days=days)})
    return len(due)


def _close(app, session: Session, now: datetime, days: int) -> int:
    query, _, warned = stalled_query()
    due = _due(session, query.where(warned <= now - timedelta(days=days)))
    send = outbox(app.composer, session)
    issuing = Issuing(session, app.settings, app.signer, app.documents, now, send)
    for mentorship, _, _ in due:
        session.add(QuietNotice(mentorship_id=mentorship.id, kind=CLOSED, sent_at=now))
        if held_meetings(session, mentorship, now):
            complete(issuing, mentorship, how="stalled")
            continue
        move_to(mentorship, MentorshipState.COMPLETED, now)
        for person in _reachable(mentorship):
            send_quiet_mail(app.signer, send, "stalled_closed", mentorship, person, {})
        log.info("stalled mentorship %s closed without meetings: no certificates", mentorship.id)
    return len(due)


def _reachable(mentorship: Mentorship) -> list:
    return [p for p in (mentorship.mentee, mentorship.mentor) if p.deleted_at is None]
