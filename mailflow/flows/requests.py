"""Finding a mentor: MENTORS lists who is free, REQUEST asks one, the mentor answers ACCEPT or
DECLINE."""
from __future__ import annotations

from sqlalchemy import or_, select

from ..domain import achievements
from ..domain.mentorships import free_places, move_to, open_request_of, role_in
from ..outcomes import Polite
from ..parsers.commands import Keyword, command_word
from ..reasons import Reason
from ..store.models import Mentorship, Person
from ..store.states import MentorshipState
from .agreement import send_agreement_form
from .context import Context


def list_mentors(ctx: Context) -> str:
    mentors = list(ctx.session.scalars(select(Person).where(
        Person.role == "mentor", Person.deleted_at.is_(None), Person.bounced_at.is_(None))
        .order_by(Person.name)))
    places = free_places(ctx.session, mentors)
    token = ctx.token_for("mentors", 0, ctx.person)
    word = command_word(Keyword.REQUEST, ctx.language)
    rows = [{"name": m.name, "handle": m.handle, "topics": m.topics, "free": places[m.id],
             "about": m.about, "link": ctx.link(token, f"{word} {m.handle}")} for m in mentors]
    ctx.answer("mentors", mentors=rows, reply_token=token)
    return f"{len(rows)} mentors listed"


def request_mentor(ctx: Context) -> str:
    mentee = ctx.person
    if mentee.role != "mentee":
        raise Polite(Reason.ONLY_MENTEES_REQUEST)
    mentor = _find_mentor(ctx, ctx.inbound.command.argument)
    _check_request(ctx, mentee, mentor)
    note = "\n".join(ctx.inbound.new_text.strip().splitlines()[1:]).strip()
    mentorship = open_request(ctx, mentee, mentor, note)
    ctx.answer("request_sent", mentor=mentor.name)
    return f"mentorship {mentorship.id} requested from {mentor.email}"


def open_request(ctx: Context, mentee: Person, mentor: Person, note: str) -> Mentorship:
    """A new request, and the mail that asks the mentor to accept or decline it with one click."""
    mentorship = Mentorship(mentee_id=mentee.id, mentor_id=mentor.id,
                            state=MentorshipState.REQUESTED, request_note=note[:2000],
                            requested_at=ctx.now, last_activity_at=ctx.now)
    ctx.session.add(mentorship)
    ctx.session.flush()
    token = ctx.token_for("request", mentorship.id, mentor)
    accept, decline = (command_word(k, mentor.language) for k in (Keyword.ACCEPT, Keyword.DECLINE))
    ctx.send(ctx.mail_to(mentor, "request_to_mentor", reply_token=token, values=dict(
        mentee=_profile(mentee), note=note, accept=ctx.link(token, accept),
        decline=ctx.link(token, decline))))
    return mentorship


def accept(ctx: Context) -> str:
    mentorship = _answerable(ctx)
    move_to(mentorship, MentorshipState.ACCEPTED, ctx.now)
    mentorship.last_activity_at = ctx.now
    for person in (mentorship.mentee, mentorship.mentor):
        achievements.record(ctx.session, person, "matched", ctx.now, ref=f"m{mentorship.id}",
                            mentorship_id=mentorship.id)
        ctx.send(ctx.mail_to(person, "kickoff_guide", values=_guide_values(mentorship, person)))
    send_agreement_form(ctx, mentorship, mentorship.mentee)
    return f"mentorship {mentorship.id} accepted"


def decline(ctx: Context) -> str:
    """The mentor says no, perhaps with a reason (after the keyword, on its line or below): the
    reason is kept for the coordinators and never reaches the mentee."""
    mentorship = _answerable(ctx)
    move_to(mentorship, MentorshipState.DECLINED, ctx.now)
    mentorship.request_closed_as, mentorship.decline_reason = "declined", _reason(ctx)[:2000]
    mentee = mentorship.mentee
    word = command_word(Keyword.MENTORS, mentee.language)
    ctx.send(ctx.mail_to(mentee, "request_declined", values={"mentor": mentorship.mentor.name,
                                                            "mentors": ctx.hello_link(word)}))
    ctx.answer("request_answered", mentee=mentee.name, accepted=False,
               reason=bool(mentorship.decline_reason))
    return f"mentorship {mentorship.id} declined"


def _reason(ctx: Context) -> str:
    below = "\n".join(ctx.inbound.new_text.strip().splitlines()[1:])
    return "\n".join(p for p in (ctx.inbound.command.argument, below.strip()) if p).strip()


def _answerable(ctx: Context) -> Mentorship:
    mentorship = ctx.session.get(Mentorship, ctx.inbound.token.object_id)
    if mentorship is None or mentorship.mentor_id != ctx.person.id:
        raise Polite(Reason.NOT_THEIR_REQUEST, mentorship=ctx.inbound.token.object_id)
    if mentorship.state != MentorshipState.REQUESTED:
        raise Polite(Reason.REQUEST_ALREADY, state=mentorship.state, mentorship=mentorship.id)
    return mentorship


def _find_mentor(ctx: Context, wanted: str) -> Person:
    wanted = wanted.strip().strip("<>").lstrip("@").split()[0].lower() if wanted.strip() else ""
    mentor = ctx.session.scalar(select(Person).where(
        or_(Person.email == wanted, Person.handle == wanted),
        Person.deleted_at.is_(None))) if wanted else None
    if mentor is None or mentor.role != "mentor":
        word = command_word(Keyword.MENTORS, ctx.language)
        raise Polite(Reason.UNKNOWN_MENTOR, wanted=wanted, mentors=ctx.hello_link(word))
    return mentor


def _check_request(ctx: Context, mentee: Person, mentor: Person) -> None:
    if mentor.id == mentee.id:
        raise Polite(Reason.REQUEST_SELF)
    open_request = open_request_of(ctx.session, mentee)
    if open_request is not None:
        raise Polite(Reason.SECOND_REQUEST, other=open_request.mentor.name)
    if free_places(ctx.session, [mentor])[mentor.id] <= 0:
        raise Polite(Reason.MENTOR_FULL, other=mentor.name)


def _profile(person: Person) -> dict:
    return {"name": person.name, "email": person.email, "topics": person.topics,
            "about": person.about, "language": person.language, "timezone": person.timezone}


def _guide_values(mentorship: Mentorship, person: Person) -> dict:
    return {"role": role_in(mentorship, person),
            "mentee": _profile(mentorship.mentee), "mentor": _profile(mentorship.mentor)}
