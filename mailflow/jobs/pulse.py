"""The relationship pulse job: each side of every active mentorship is asked "how is it going?
1–5" 30 days after the agreement and every 60 days after (domain/pulse.py). Idempotent per
mentorship, person and period: the pulse_check row is the mark, unique on those three, and commits
together with its mail. A scheduler that was down asks for the current period only."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..domain.opt_outs import REMINDERS, opted_out
from ..domain.pulse import FIRST, period_at, send_pulse
from ..domain.sending import outbox
from ..store.models import Mentorship, PulseCheck
from ..store.states import MentorshipState

log = logging.getLogger(__name__)
BATCH = 500


def ask_pulse(app, now: datetime) -> int:
    """One pulse mail to each side whose current period has not been asked yet; how many went.
    One query finds the mentorships whose latest asked period is older than the current one, so a
    pass with nothing due loads no mentorship (a side skipped for a bouncing address is not asked
    again in that period)."""
    latest = (select(PulseCheck.mentorship_id, func.max(PulseCheck.period).label("period"))
              .group_by(PulseCheck.mentorship_id).subquery())
    with app.store.reading() as session:
        rows = session.execute(
            select(Mentorship.id, Mentorship.activated_at, latest.c.period)
            .outerjoin(latest, latest.c.mentorship_id == Mentorship.id)
            .where(Mentorship.state == MentorshipState.ACTIVE,
                   Mentorship.activated_at <= now - FIRST)
            .order_by(Mentorship.id)).all()
    due = [(mentorship_id, period_at(activated, now)) for mentorship_id, activated, asked in rows
           if asked is None or asked < period_at(activated, now)]
    asked = 0
    for first in range(0, len(due), BATCH):
        asked += _ask_batch(app, now, dict(due[first:first + BATCH]))
    return asked


def _ask_batch(app, now: datetime, periods: dict[int, int]) -> int:
    with app.store.transaction() as session:
        mentorships = session.scalars(
            select(Mentorship).options(joinedload(Mentorship.mentee),
                                       joinedload(Mentorship.mentor))
            .where(Mentorship.id.in_(list(periods)),
                   Mentorship.state == MentorshipState.ACTIVE)).unique().all()
        asked_before = {tuple(row) for row in session.execute(
            select(PulseCheck.mentorship_id, PulseCheck.person_id, PulseCheck.period)
            .where(PulseCheck.mentorship_id.in_(list(periods))))}
        send = outbox(app.composer, session)
        quiet = opted_out(session, REMINDERS, [p.email for m in mentorships
                                               for p in (m.mentee, m.mentor)])
        asked = 0
        for mentorship in mentorships:
            period = periods[mentorship.id]
            for person in (mentorship.mentee, mentorship.mentor):
                if ((mentorship.id, person.id, period) in asked_before
                        or person.deleted_at is not None or person.bounced_at is not None
                        or person.email.lower() in quiet):
                    continue
                check = PulseCheck(mentorship_id=mentorship.id, person_id=person.id,
                                   period=period, asked_at=now)
                session.add(check)
                session.flush()
                send_pulse(app.signer, send, check, mentorship, person)
                asked += 1
        return asked
