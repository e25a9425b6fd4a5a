"""Time-driven meeting work: the feedback form once a meeting has ended
(Meeting.feedback_requested_at marks it done), and asking both sides to amend the agreement when the
meetings leave it (a JobRun row per deviation). Each scan is a bounded query over a batch; each mail
commits together with its mark."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from ..domain import meetings as svc
from ..domain.fit import asks_fit
from ..domain.mentorships import other_side
from ..domain.sending import outbox
from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import AgreementVersion, JobRun, Meeting, Mentorship
from ..store.states import PLANNED, MeetingState, MentorshipState, VersionState
from ..tokens import Token

log = logging.getLogger(__name__)
BATCH = 500
# a meeting that ended longer ago (e.g. while we were down) is not asked about
FEEDBACK_WINDOW = timedelta(days=30)
DEVIATIONS = "agreement_deviations"
Deviation = tuple[str, AgreementVersion, Mentorship, dict]  # (key, agreement, mentorship, what)


def ask_for_feedback(app, now: datetime) -> int:
    """One feedback mail to each participant of every confirmed meeting that has ended, a batch per
    transaction. A meeting never confirmed (proposed, tentative) did not take place as far as we
    know: nobody is asked."""
    asked = 0
    while True:
        done = _ask_for_feedback_batch(app, now)
        asked += done
        if done < BATCH:
            return asked


def _ask_for_feedback_batch(app, now: datetime) -> int:
    with app.store.transaction() as session:
        due = list(session.scalars(
            select(Meeting).where(Meeting.feedback_requested_at.is_(None),
                                  Meeting.state == MeetingState.CONFIRMED,
                                  Meeting.ends_at <= now,
                                  Meeting.ends_at > now - FEEDBACK_WINDOW)
            .order_by(Meeting.ends_at, Meeting.id).limit(BATCH).with_for_update(skip_locked=True)))
        if not due:
            return 0
        mentorships = {m.id: m for m in session.scalars(
            select(Mentorship)
            .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
            .where(Mentorship.id.in_({m.mentorship_id for m in due})))}
        send = outbox(app.composer, session)
        for meeting in due:
            mentorship = mentorships[meeting.mentorship_id]
            for person in (mentorship.mentee, mentorship.mentor):
                if person.deleted_at is None:
                    first = asks_fit(session, mentorship.id, person.id, meeting.id)
                    svc.send_feedback_form(send, app.signer, meeting, mentorship, person,
                                           first=first)
            meeting.feedback_requested_at = now
        return len(due)


def check_agreements(app, now: datetime) -> int:
    """Both sides asked to amend when there are more meetings than agreed, a meeting outside the
    period, or the period is over with agreed meetings left; once per deviation (and agreement
    version). One aggregate query looks at every active mentorship; only those whose figures leave
    the agreement are loaded, BATCH per transaction."""
    candidates = _candidates(app, now)
    sent = 0
    for first in range(0, len(candidates), BATCH):
        sent += _check_mentorships(app, now, candidates[first:first + BATCH])
    return sent


def _candidates(app, now: datetime) -> list[int]:
    """Ids of the active mentorships whose meeting figures leave their approved agreement."""
    zone = ZoneInfo(app.settings.timezone)
    today = now.astimezone(zone).date()
    figures = _meeting_figures(now)
    with app.store.reading() as session:
        rows = session.execute(
            select(Mentorship.id, AgreementVersion.meetings, AgreementVersion.period_from,
                   AgreementVersion.period_until, figures.c.planned, figures.c.first,
                   figures.c.last, figures.c.held)
            .join(AgreementVersion, AgreementVersion.mentorship_id == Mentorship.id)
            .outerjoin(figures, figures.c.mentorship_id == Mentorship.id)
            .where(Mentorship.state == MentorshipState.ACTIVE,
                   AgreementVersion.state == VersionState.APPROVED)
            .order_by(Mentorship.id)).all()
    found = []
    for mentorship_id, agreed, period_from, period_until, planned, first, last, done in rows:
        outside = planned and (first.astimezone(zone).date() < period_from or
                               last.astimezone(zone).date() > period_until)
        if (planned or 0) > agreed or outside or (period_until < today and (done or 0) < agreed):
            found.append(mentorship_id)
    return found


def _meeting_figures(now: datetime):
    """Per mentorship with meetings that still count: how many, the first and last start, and how
    many were held by now (one aggregate subquery)."""
    held = case((and_(Meeting.state == MeetingState.CONFIRMED, Meeting.ends_at <= now), 1),
                else_=0)
    return (select(Meeting.mentorship_id, func.count(Meeting.id).label("planned"),
                   func.min(Meeting.starts_at).label("first"),
                   func.max(Meeting.starts_at).label("last"),
                   func.sum(held).label("held"))
            .where(Meeting.state.in_(PLANNED)).group_by(Meeting.mentorship_id).subquery())


def _check_mentorships(app, now: datetime, ids: list[int]) -> int:
    """The deviations of these mentorships, looked at meeting by meeting, and the mails about the
    new ones."""
    zone = ZoneInfo(app.settings.timezone)
    with app.store.transaction() as session:
        rows = session.execute(
            select(AgreementVersion, Mentorship)
            .join(Mentorship, Mentorship.id == AgreementVersion.mentorship_id)
            .options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
            .where(Mentorship.id.in_(ids), Mentorship.state == MentorshipState.ACTIVE,
                   AgreementVersion.state == VersionState.APPROVED)
            .order_by(Mentorship.id)).unique().all()
        meetings: dict[int, list[Meeting]] = {}
        for meeting in session.scalars(select(Meeting).where(Meeting.mentorship_id.in_(ids),
                                                             Meeting.state.in_(PLANNED))):
            meetings.setdefault(meeting.mentorship_id, []).append(meeting)
        found = [deviation for agreement, mentorship in rows
                 for deviation in _deviations(agreement, mentorship,
                                              meetings.get(mentorship.id, []), now, zone)]
        return _ask_to_amend(app, session, found, now)


def _deviations(agreement: AgreementVersion, mentorship: Mentorship, planned: list[Meeting],
                now: datetime, zone: ZoneInfo) -> list[Deviation]:
    """(key, agreement, mentorship, what) for each way the planned meetings leave the agreement."""
    found = []
    if len(planned) > agreement.meetings:
        found.append((f"over:a{agreement.id}", agreement, mentorship,
                      {"kind": "over", "count": len(planned)}))
    for meeting in planned:
        day = meeting.starts_at.astimezone(zone).date()
        if not agreement.period_from <= day <= agreement.period_until:
            found.append((f"outside:a{agreement.id}:m{meeting.id}", agreement, mentorship,
                          {"kind": "outside", "day": day}))
    held = sum(1 for m in planned if m.ends_at <= now and m.state == MeetingState.CONFIRMED)
    if agreement.period_until < now.astimezone(zone).date() and held < agreement.meetings:
        found.append((f"left:a{agreement.id}", agreement, mentorship,
                      {"kind": "left", "count": held}))
    return found


def _ask_to_amend(app, session, found: list, now: datetime) -> int:
    """The amendment request to both, once per deviation key (a JobRun row commits with the
    mails)."""
    if not found:
        return 0
    keys = [key for key, *_ in found]
    done = set(session.scalars(select(JobRun.key).where(JobRun.job == DEVIATIONS,
                                                        JobRun.key.in_(keys))))
    send = outbox(app.composer, session)
    sent = 0
    for key, agreement, mentorship, details in found:
        if key in done:
            continue
        done.add(key)
        session.add(JobRun(job=DEVIATIONS, key=key, ran_at=now))
        for person in (mentorship.mentee, mentorship.mentor):
            send(_amend_mail(app, agreement, mentorship, person, details))
        sent += 1
    return sent


def _amend_mail(app, agreement: AgreementVersion, mentorship: Mentorship, person,
                details: dict) -> OutgoingMail:
    token = Token("reply", "agree", mentorship.id, person.id)
    amend = command_word(Keyword.AMEND, person.language)
    values = dict(details, agreed=agreement.meetings, period_from=agreement.period_from,
                  period_until=agreement.period_until, other=other_side(mentorship, person).name,
                  amend=app.signer.mailto(token, amend))
    return OutgoingMail(template="agreement_deviation", to=person.email, to_name=person.name,
                        language=person.language, reply_token=token, values=values)
