"""After one side asked to END: a reminder to the other at half the silence period, and completion
(with the certificates) once the whole period passed in silence, which counts as consent."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, joinedload

from ..domain.completion import Issuing, complete, send_end_question
from ..domain.mentorships import other_side
from ..domain.sending import outbox
from ..store.models import JobRun, Mentorship, Person
from ..store.states import MentorshipState

REMINDER_JOB = "closing_reminder"

BATCH = 200


def closing_silence(app, now: datetime) -> int:
    """For mentorships waiting on the other side's answer to END: one reminder after half the
    silence time, then completion once the whole time has passed and the reminder is at least a few
    days old. Idempotent: the reminder is a JobRun row keyed by mentorship and request time;
    completion changes the state."""
    days = app.settings.closing_silence_days
    done = 0
    with app.store.transaction() as session:
        done += _remind(app, session, now, days)
    with app.store.transaction() as session:
        done += _complete_silent(app, session, now, days)
    return done


def _reminder_key(mentorship_id, requested_at) -> str:
    return f"m{mentorship_id}:{requested_at.isoformat()[:19]}"


def _remind(app, session: Session, now: datetime, days: int) -> int:
    waiting = session.scalars(select(Mentorship)
                              .options(joinedload(Mentorship.mentee),
                                       joinedload(Mentorship.mentor))
                              .where(Mentorship.state == MentorshipState.ENDING,
                                     Mentorship.end_requested_at <= now - timedelta(days=days / 2))
                              .order_by(Mentorship.id).limit(BATCH)).all()
    keys = {_reminder_key(m.id, m.end_requested_at): m for m in waiting}
    sent_before = set(session.scalars(select(JobRun.key).where(JobRun.job == REMINDER_JOB,
                                                               JobRun.key.in_(list(keys)))))
    count = 0
    for key, mentorship in keys.items():
        if key in sent_before:
            continue
        asker = session.get(Person, mentorship.end_requested_by_id)
        send_end_question(app.signer, outbox(app.composer, session), mentorship, asker,
                          other_side(mentorship, asker),
                          deadline=mentorship.end_requested_at + timedelta(days=days),
                          reminder=True)
        session.add(JobRun(job=REMINDER_JOB, key=key, ran_at=now))
        count += 1
    return count


def _complete_silent(app, session: Session, now: datetime, days: int) -> int:
    reminded = and_(JobRun.job == REMINDER_JOB,
                    JobRun.ran_at <= now - timedelta(days=max(1, days // 4)))
    due = session.execute(
        select(Mentorship, JobRun.key).join(JobRun, reminded)
        .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
        .where(Mentorship.state == MentorshipState.ENDING,
               Mentorship.end_requested_at <= now - timedelta(days=days))
        .order_by(Mentorship.id).limit(BATCH)).all()
    issuing = Issuing(session, app.settings, app.signer, app.documents, now,
                      outbox(app.composer, session))
    count = 0
    for mentorship, key in due:
        if key != _reminder_key(mentorship.id, mentorship.end_requested_at):
            continue
        complete(issuing, mentorship, how="silence")
        count += 1
    return count

