"""The coordinators' digest: what needs attention first (unanswered requests, waiting agreements,
inactive mentorships, low ratings, bouncing addresses, failed messages), then upcoming meetings,
completions, programme figures and a small chart. Built with a fixed number of queries whatever the
programme's size; sent daily at MAILFLOW_DIGEST_TIME (local) or weekly, once per day or week (a
JobRun row). The HTML part has its CSS inlined with css-inline (mail clients drop <style>) and the
chart as an inline cid: image."""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from zoneinfo import ZoneInfo

import css_inline
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..domain import pulse, quiet
from ..domain.coordinator_links import command_link, coordinator_word
from ..domain.figures import figures
from ..domain.opt_outs import DIGEST, coordinator_opt_out, opted_out
from ..domain.reminders import quiet_mentorships
from ..outgoing.chart import bar_chart_png
from ..outgoing.compose import OutgoingMail
from ..outgoing.meeting_times import MeetingTime
from ..outgoing.wire import text_part
from ..parsers.commands import Keyword
from ..store.models import (
    AgreementVersion, Feedback, InboundMessage, JobRun, Meeting, Mentorship, OutboundMessage,
    Person,
)
from ..store.states import PLANNED, RUNNING, MeetingState, MentorshipState, VersionState

log = logging.getLogger(__name__)
SHOWN = 25  # items per section; the total is always given
WEEKS = 12
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHART_CID = "chart"


def due_key(settings, now: datetime) -> str | None:
    """The JobRun key of the digest due at now, or None when none is due yet."""
    if settings.digest_frequency == "off" or not settings.coordinators:
        return None
    local = now.astimezone(ZoneInfo(settings.timezone))
    hour, minute = (int(part) for part in settings.digest_time.split(":"))
    at = time(hour, minute)
    if settings.digest_frequency == "weekly":
        weekday = WEEKDAYS.index(settings.digest_weekday.lower())
        if (local.weekday(), local.time()) < (weekday, at):
            return None
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return None if local.time() < at else local.date().isoformat()


def send_digest(app, now: datetime) -> int:
    key = due_key(app.settings, now)
    if key is None:
        return 0
    try:
        with app.store.transaction() as session:
            if session.scalar(select(JobRun.id).where(JobRun.job == "digest", JobRun.key == key)):
                return 0
            session.add(JobRun(job="digest", key=key, ran_at=now))
            session.flush()
            queue_digest(app, session, now)
    except IntegrityError:  # another scheduler sent it a moment ago
        return 0
    return 1


def queue_digest(app, session: Session, now: datetime) -> None:
    """One digest per coordinator who has not opted out, each with links bound to them and to
    the day (built for each: the links are in every section)."""
    quiet = opted_out(session, DIGEST, app.settings.coordinators)
    for address in (a for a in app.settings.coordinators if a.lower() not in quiet):
        data = build(session, app.settings, app.signer, now, coordinator=address)
        png = chart_png(data["chart"])
        mail = OutgoingMail(template="digest", to=address, language=app.settings.language,
                            values=data, unsubscribe=coordinator_opt_out(address))
        app.composer.queue(session, mail,
                           finish=lambda message: with_inline_css_and_chart(message, png))


def period(settings) -> timedelta:
    return timedelta(days=7 if settings.digest_frequency == "weekly" else 1)


def build(session: Session, settings, signer, now: datetime, coordinator: str = "") -> dict:
    """Everything the digest shows, as plain values for the templates; its links act for
    coordinator only."""
    def command(words: str) -> str:
        return command_link(signer, words, coordinator, now)

    def link(word: Keyword, argument) -> str:
        return command(f"{coordinator_word(settings, word)} {argument}")

    since = now - period(settings)
    return {
        "now": now, "since": since, "frequency": settings.digest_frequency,
        "requests": _requests(session, now, link), "agreements": _agreements(session, now, link),
        "inactive": _inactive(session, now, settings.inactivity_days, link),
        "ratings": _low_ratings(session, since, link), "bounces": _bounces(session, link),
        "failed": _failed(session), "undelivered": _undelivered(session, now),
        "meetings": _upcoming(session, now, settings.timezone),
        "completed": _completed(session, since, link),
        "figures": figures(session, settings, now), "chart": _chart(session, now),
        "pulse_low": _linked(pulse.low_answers(session, since, SHOWN), link),
        "pulse_average": pulse.average(session, now),
        "stalled": _linked(quiet.stalled(session, now, settings.stalled_close_days, SHOWN), link),
        "stats_link": command(coordinator_word(settings, Keyword.STATS)),
        "export_link": command(coordinator_word(settings, Keyword.EXPORT)),
    }


def _section(items: list[dict], total: int) -> dict:
    return {"rows": items, "total": total, "more": max(0, total - len(items))}


def _linked(found: tuple[list[dict], int], link) -> dict:
    """A section of mentorship rows (from domain/), each with its REMIND link."""
    rows, total = found
    return _section([dict(row, link=link(Keyword.REMIND, row["id"])) for row in rows], total)


def _with_people(query):
    return query.options(joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _requests(session: Session, now: datetime, link) -> dict:
    query = select(Mentorship).where(Mentorship.state == MentorshipState.REQUESTED)
    rows = session.scalars(_with_people(query).order_by(Mentorship.requested_at)
                           .limit(SHOWN)).unique().all()
    return _section([{"id": m.id, "mentee": m.mentee.name, "mentor": m.mentor.name,
                      "since": m.requested_at, "days": (now - m.requested_at).days,
                      "link": link(Keyword.REMIND, m.id)} for m in rows],
                    _count(session, query))


def _agreements(session: Session, now: datetime, link) -> dict:
    """Proposed versions waiting for approval, and accepted mentorships whose form has not come
    back."""
    proposed = (select(AgreementVersion, Mentorship)
                .join(Mentorship, Mentorship.id == AgreementVersion.mentorship_id)
                .where(AgreementVersion.state == VersionState.PROPOSED,
                       Mentorship.state.in_(RUNNING)))
    rows = session.execute(proposed.options(joinedload(Mentorship.mentee),
                                            joinedload(Mentorship.mentor))
                           .order_by(AgreementVersion.proposed_at).limit(SHOWN)).unique().all()
    items = [{"id": m.id, "mentee": m.mentee.name, "mentor": m.mentor.name, "version": v.version,
              "since": v.proposed_at, "days": (now - v.proposed_at).days, "waiting_for": "approval",
              "link": link(Keyword.REMIND, m.id)} for v, m in rows]
    versions = (select(AgreementVersion.id)
                .where(AgreementVersion.mentorship_id == Mentorship.id).exists())
    no_form = select(Mentorship).where(Mentorship.state == MentorshipState.ACCEPTED, ~versions)
    forms = session.scalars(_with_people(no_form).order_by(Mentorship.answered_at)
                            .limit(SHOWN)).unique().all()
    since = lambda m: m.answered_at or m.requested_at  # noqa: E731
    items += [{"id": m.id, "mentee": m.mentee.name, "mentor": m.mentor.name, "version": None,
               "since": since(m), "days": (now - since(m)).days, "waiting_for": "form",
               "link": link(Keyword.REMIND, m.id)} for m in forms]
    return _section(items, _count(session, proposed) + _count(session, no_form))


def _inactive(session: Session, now: datetime, days: int, link) -> dict:
    query, _ = quiet_mentorships(now, days)
    last = func.coalesce(Mentorship.last_activity_at, Mentorship.answered_at,
                         Mentorship.requested_at)
    rows = session.scalars(_with_people(query).order_by(last).limit(SHOWN)).unique().all()
    items = []
    for m in rows:
        quiet = m.last_activity_at or m.answered_at or m.requested_at
        items.append({"id": m.id, "mentee": m.mentee.name, "mentor": m.mentor.name, "since": quiet,
                      "days": (now - quiet).days, "nudged": m.nudged_at,
                      "link": link(Keyword.REMIND, m.id)})
    return _section(items, _count(session, query))


def _low_ratings(session: Session, since: datetime, link) -> dict:
    query = (select(Feedback, Meeting, Person).join(Meeting, Meeting.id == Feedback.meeting_id)
             .join(Person, Person.id == Feedback.person_id)
             .where(Feedback.rating <= 2, Feedback.created_at >= since))
    rows = session.execute(query.order_by(Feedback.created_at.desc()).limit(SHOWN)).all()
    return _section([{"id": meeting.mentorship_id, "who": person.name, "rating": feedback.rating,
                      "comment": feedback.comment, "meeting": meeting.starts_at,
                      "link": link(Keyword.REMIND, meeting.mentorship_id)}
                     for feedback, meeting, person in rows],
                    _count(session, query))


def _bounces(session: Session, link) -> dict:
    query = select(Person).where(Person.bounced_at.is_not(None), Person.deleted_at.is_(None))
    rows = session.scalars(query.order_by(Person.bounced_at.desc()).limit(SHOWN)).all()
    return _section([{"who": p.name, "email": p.email, "since": p.bounced_at,
                      "reason": p.bounce_reason, "link": link(Keyword.RESEND, p.email)}
                     for p in rows],
                    _count(session, query))


def _failed(session: Session) -> dict:
    query = select(InboundMessage.id, InboundMessage.envelope_from, InboundMessage.received_at,
                   InboundMessage.error).where(InboundMessage.state == "failed")
    rows = session.execute(query.order_by(InboundMessage.id.desc()).limit(SHOWN)).all()
    return _section([{"id": r.id, "sender": r.envelope_from or "?", "received": r.received_at,
                      "error": (r.error or "")[:160]} for r in rows], _count(session, query))


def _undelivered(session: Session, now: datetime) -> dict:
    """Our mail the relay refused for good, or that we gave up on, in the last week."""
    query = select(OutboundMessage.recipient, OutboundMessage.template, OutboundMessage.last_error,
                   OutboundMessage.created_at).where(
        OutboundMessage.state == "failed", OutboundMessage.created_at >= now - timedelta(days=7))
    rows = session.execute(query.order_by(OutboundMessage.id.desc()).limit(SHOWN)).all()
    return _section([{"to": r.recipient, "what": r.template, "since": r.created_at,
                      "reason": (r.last_error or "")[:160]} for r in rows], _count(session, query))


def _upcoming(session: Session, now: datetime, zone: str) -> dict:
    """The next week's meetings, each in the programme's zone and in those of the pair."""
    query = (select(Meeting, Mentorship).join(Mentorship, Mentorship.id == Meeting.mentorship_id)
             .where(Meeting.starts_at >= now, Meeting.starts_at < now + timedelta(days=7),
                    Meeting.state.in_(PLANNED)))
    rows = session.execute(query.options(joinedload(Mentorship.mentee),
                                         joinedload(Mentorship.mentor))
                           .order_by(Meeting.starts_at).limit(SHOWN)).unique().all()
    return _section([{"id": m.id, "mentee": m.mentee.name, "mentor": m.mentor.name,
                      "when": MeetingTime(meeting.starts_at, meeting.ends_at,
                                          (zone, m.mentee.timezone or zone,
                                           m.mentor.timezone or zone)),
                      "state": meeting.state, "topic": meeting.topic}
                     for meeting, m in rows],
                    _count(session, query))


def _completed(session: Session, since: datetime, link) -> dict:
    query = select(Mentorship).where(Mentorship.state == MentorshipState.COMPLETED,
                                     Mentorship.completed_at >= since)
    rows = session.scalars(_with_people(query).order_by(Mentorship.completed_at)
                           .limit(SHOWN)).unique().all()
    return _section([{"id": m.id, "mentee": m.mentee.name, "mentor": m.mentor.name,
                      "on": m.completed_at, "link": link(Keyword.RESEND, m.id)} for m in rows],
                    _count(session, query))


def _chart(session: Session, now: datetime) -> list[dict]:
    """Active mentorships and meetings per week for the last WEEKS weeks: two queries of WEEKS sums
    each."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    starts = [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    bounds = [(start, start + timedelta(weeks=1)) for start in starts]
    running = [(Mentorship.activated_at < end)
               & ((Mentorship.completed_at.is_(None)) | (Mentorship.completed_at >= start))
               for start, end in bounds]
    held = [(Meeting.starts_at >= start) & (Meeting.starts_at < end) for start, end in bounds]
    active = session.execute(_week_sums(running)
                             .where(Mentorship.activated_at.is_not(None))).one()
    meetings = session.execute(_week_sums(held)
                               .where(Meeting.state == MeetingState.CONFIRMED)).one()
    return [{"week": start, "active": int(a or 0), "meetings": int(m or 0)}
            for start, a, m in zip(starts, active, meetings)]


def _week_sums(conditions: list):
    """One SELECT of a sum per week: how many rows meet that week's condition."""
    return select(*(func.sum(case((condition, 1), else_=0)) for condition in conditions))


def chart_png(weeks: list[dict]) -> bytes:
    return bar_chart_png([(w["active"], w["meetings"]) for w in weeks])


def with_inline_css_and_chart(message: Message, png: bytes) -> Message:
    """The built digest with its HTML part's CSS inlined, and the HTML wrapped in multipart/related
    with the chart it shows as cid:chart."""
    for container in message.walk():
        if container.get_content_type() != "multipart/alternative":
            continue
        parts = container.get_payload()
        for index, part in enumerate(parts):
            if part.get_content_type() == "text/html":
                html = part.get_payload(decode=True).decode("utf-8")
                image = MIMEImage(png, "png")
                image.add_header("Content-ID", f"<{CHART_CID}>")
                image.add_header("Content-Disposition", "inline", filename="chart.png")
                inlined = css_inline.inline(html)
                parts[index] = MIMEMultipart("related",
                                             _subparts=[text_part(inlined, "html"), image])
        break
    return message
