"""Time-driven mails about what waits on someone: reminders for unanswered requests and approvals
(then the coordinators are told), and a check-in for mentorships that went quiet. Each scan is one
bounded query that leaves out what was already done; each mail commits together with the mark that
it was sent (a JobRun row or Mentorship.nudged_at), so a restart or a second run never sends it
twice."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import String, cast, exists, literal, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from ..domain.coordinator_links import command_link
from ..domain.opt_outs import REMINDERS, opted_out
from ..domain.quiet import record_nudge
from ..domain.reminders import (
    Waiting, approval_waiting, quiet_mentorships, request_waiting, send_checkin, send_reminder,
)
from ..domain.sending import outbox
from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import AgreementVersion, JobRun, Mentorship, Person
from ..store.states import RUNNING, MentorshipState, VersionState

log = logging.getLogger(__name__)
STAGES = ("first", "second", "coordinators")
BATCH = 500


def _stage_days(settings) -> dict[str, int]:
    return {"first": settings.reminder_first_days, "second": settings.reminder_second_days,
            "coordinators": settings.escalate_days}


def _key(kind: str, stage: str, id_column):
    return literal(f"{kind}:{stage}:") + cast(id_column, String)


def _not_yet(kind: str, stage: str, id_column):
    """Neither this stage nor a later one was done for the row (a late run sends only the latest
    reminder)."""
    later = STAGES[STAGES.index(stage):]
    return ~exists().where(JobRun.job == "reminders",
                           or_(*(JobRun.key == _key(kind, s, id_column) for s in later)))


def remind_requests(app, now: datetime) -> int:
    mentor = aliased(Person)

    def due(stage: str, days: int):
        query = (select(Mentorship).join(mentor, mentor.id == Mentorship.mentor_id)
                 .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
                 .where(Mentorship.state == MentorshipState.REQUESTED,
                        Mentorship.requested_at <= now - timedelta(days=days),
                        _not_yet("request", stage, Mentorship.id))
                 .order_by(Mentorship.id).limit(BATCH))
        return query if stage == "coordinators" else query.where(mentor.bounced_at.is_(None))

    return _remind(app, now, due, request_waiting)


def remind_approvals(app, now: datetime) -> int:
    def due(stage: str, days: int):
        return (select(AgreementVersion, Mentorship)
                .join(Mentorship, Mentorship.id == AgreementVersion.mentorship_id)
                .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
                .where(AgreementVersion.state == VersionState.PROPOSED,
                       Mentorship.state.in_(RUNNING),
                       AgreementVersion.proposed_at <= now - timedelta(days=days),
                       _not_yet("approval", stage, AgreementVersion.id))
                .order_by(AgreementVersion.id).limit(BATCH))

    def waiting(row) -> Waiting:
        version, mentorship = row
        return approval_waiting(version, mentorship)

    return _remind(app, now, due, waiting, rows=lambda result: result.unique().all())


def _remind(app, now: datetime, due: Callable, waiting: Callable, rows=None) -> int:
    """Latest stage first, so a scheduler that was down sends one reminder, not two at once."""
    done = 0
    for stage in reversed(STAGES):
        days = _stage_days(app.settings)[stage]
        while True:
            found = _remind_batch(app, now, stage, due(stage, days), waiting, rows)
            done += found
            if found < BATCH:
                break
    return done


def _remind_batch(app, now: datetime, stage: str, query, waiting: Callable, rows) -> int:
    """Up to BATCH reminders of one stage in one transaction, each with its JobRun mark."""
    with app.store.transaction() as session:
        result = session.execute(query)
        found = [waiting(r) for r in (rows(result) if rows else result.unique().scalars().all())]
        for item in found:
            session.add(JobRun(job="reminders", key=f"{item.kind}:{stage}:{item.object_id}",
                               ran_at=now))
        if stage == "coordinators":
            _tell_coordinators(app, session, found, now)
        else:
            quiet = opted_out(session, REMINDERS, [item.waiting_on.email for item in found])
            for item in found:  # marked done either way: an opt-out is not caught up on later
                if item.waiting_on.email.lower() not in quiet:
                    send_reminder(app.signer, outbox(app.composer, session), item, stage)
    return len(found)


def _tell_coordinators(app, session: Session, found: list[Waiting], now: datetime) -> None:
    if not found:
        return
    language = app.settings.language
    word = command_word(Keyword.REMIND, language)
    for address in app.settings.coordinators:
        items = [dict(kind=i.kind, mentorship=i.mentorship_id, waiting_on=i.waiting_on.name,
                      waiting_on_email=i.waiting_on.email, other=i.other.name, since=i.since,
                      bounced=i.waiting_on.bounced_at is not None,
                      remind=command_link(app.signer, f"{word} {i.mentorship_id}", address, now))
                 for i in found]
        values = dict(items=items, days=app.settings.escalate_days)
        app.composer.queue(session, OutgoingMail(template="overdue", to=address, language=language,
                                                 values=values))


def nudge_inactive(app, now: datetime) -> int:
    """Ask both how it goes, at most once per inactivity period (Mentorship.nudged_at)."""
    query, since = quiet_mentorships(now, app.settings.inactivity_days)
    query = (query.where(or_(Mentorship.nudged_at.is_(None), Mentorship.nudged_at <= since))
             .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
             .order_by(Mentorship.id).limit(BATCH))
    done = 0
    while True:
        with app.store.transaction() as session:
            found = session.scalars(query).unique().all()
            quiet = opted_out(session, REMINDERS, [p.email for m in found
                                                   for p in (m.mentee, m.mentor)])
            for mentorship in found:
                mentorship.nudged_at = now
                record_nudge(session, mentorship, now)
                for person in (mentorship.mentee, mentorship.mentor):
                    reachable = person.bounced_at is None and person.deleted_at is None
                    if reachable and person.email.lower() not in quiet:
                        send_checkin(app.settings, app.signer, outbox(app.composer, session),
                                     mentorship, person)
        done += len(found)
        if len(found) < BATCH:
            return done


