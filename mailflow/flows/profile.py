"""What a person can ask about themselves: PROFILE / PROFIL (mentorships, agreements, meetings,
achievements, certificates) and TOPICS / THEMEN (suggested topics and questions for the phase
their mentorship is in)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..domain import achievements
from ..domain import meetings as svc
from ..domain.completion import held_meetings
from ..domain.mentorships import current_agreement, other_side, role_in, running_of
from ..domain.topics import phase_of, suggestions
from ..store.models import Achievement, Certificate, Meeting, Mentorship, Person
from ..store.states import PLANNED, MentorshipState
from .context import Context


def profile(ctx: Context) -> str:
    person = ctx.person
    mentorships = ctx.session.scalars(select(Mentorship).options(
        joinedload(Mentorship.mentee), joinedload(Mentorship.mentor)).where(
        or_(Mentorship.mentee_id == person.id, Mentorship.mentor_id == person.id),
        Mentorship.state != MentorshipState.DECLINED).order_by(Mentorship.requested_at)).all()
    earned = ctx.session.scalars(select(Achievement).where(Achievement.person_id == person.id)
                                 .order_by(Achievement.created_at, Achievement.id)).all()
    certificates = ctx.session.scalars(select(Certificate).where(Certificate.person_id == person.id)
                                       .order_by(Certificate.issued_at)).all()
    shown = {"name": person.name, "email": person.email, "role": person.role,
             "handle": person.handle, "topics": list(person.topics), "timezone": person.timezone}
    ctx.answer("profile", person=shown,
               mentorships=[_mentorship(ctx, m, person) for m in mentorships],
               achievements=[{"label": achievements.label(a.kind, ctx.language),
                              "on": _local(ctx, a.created_at)} for a in earned],
               certificates=[{"code": c.code, "period_from": c.period_from,
                              "period_until": c.period_until, "issued": _local(ctx, c.issued_at)}
                             for c in certificates])
    return f"profile with {len(mentorships)} mentorships and {len(earned)} achievements sent"


def topics(ctx: Context) -> str:
    running = running_of(ctx.session, ctx.person)
    sections = []
    for mentorship in running or [None]:
        phase = phase_of(ctx.session, mentorship, ctx.now)
        agreement = current_agreement(ctx.session, mentorship) if mentorship else None
        other = other_side(mentorship, ctx.person).name if mentorship is not None else None
        plan = list(agreement.topics) if agreement else []
        sections.append({"phase": phase, "other": other, "plan": plan,
                         **suggestions(phase, ctx.language)})
    ctx.answer("topics", sections=sections)
    return "topics sent for " + ", ".join(s["phase"] for s in sections)


def _mentorship(ctx: Context, mentorship: Mentorship, person: Person) -> dict:
    zone = ZoneInfo(person.timezone or ctx.settings.timezone)
    agreement = current_agreement(ctx.session, mentorship)
    planned = ctx.session.scalars(select(Meeting).where(
        Meeting.mentorship_id == mentorship.id, Meeting.state.in_(PLANNED),
        Meeting.starts_at > ctx.now).order_by(Meeting.starts_at)).all()
    held = held_meetings(ctx.session, mentorship, ctx.now)
    return {"id": mentorship.id, "state": mentorship.state, "role": role_in(mentorship, person),
            "other": other_side(mentorship, person).name,
            "agreement": {"version": agreement.version, "period_from": agreement.period_from,
                          "period_until": agreement.period_until, "meetings": agreement.meetings,
                          "topics": list(agreement.topics)} if agreement else None,
            "held": [m.starts_at.astimezone(zone) for m in held],
            "planned": [{"when": svc.time_for(person, mentorship, m, m.starts_at, m.ends_at),
                         "state": m.state, "closing": m.closing} for m in planned]}


def _local(ctx: Context, moment):
    return moment.astimezone(ZoneInfo(ctx.person.timezone or ctx.settings.timezone))
