"""Requests that do not hang: one the mentor left unanswered for MAILFLOW_REQUEST_EXPIRY_DAYS (after
the reminders of jobs/reminders.py) is withdrawn and the mentee offered the next best mentors. The
state change is the mark that it was done, so a second run finds nothing."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain.expiry import expire_request
from ..domain.sending import outbox
from ..store.models import Mentorship
from ..store.states import MentorshipState

BATCH = 200


def expire_requests(app, now: datetime) -> int:
    """Withdraw every request older than the expiry time, a batch per transaction."""
    days = app.settings.request_expiry_days
    query = (select(Mentorship)
             .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
             .where(Mentorship.state == MentorshipState.REQUESTED,
                    Mentorship.requested_at <= now - timedelta(days=days))
             .order_by(Mentorship.id).limit(BATCH))
    done = 0
    while True:
        with app.store.transaction() as session:
            found = session.scalars(query).unique().all()
            send = outbox(app.composer, session)
            for mentorship in found:
                expire_request(session, app.signer, send, app.settings.hello_address,
                               mentorship, now, days)
        done += len(found)
        if len(found) < BATCH:
            return done
