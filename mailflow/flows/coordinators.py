"""Coordinators act by mail to coordinators@ (or by the one-click links of the digest), from a
coordinator address only: IMPORT, REMIND <id>, MATCH <mentee> <mentor>, END <id>,
RESEND <id | address>, EXPORT, STATS. Each answer says what was done or exactly why not. RESEND
with an address also clears its bounce mark. Also here: a participant's answer to the inactivity
check-in (purpose "checkin")."""
from __future__ import annotations

import csv
import functools
import io

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..domain.completion import certificate_attachments
from ..domain.coordinator_links import command_link, coordinator_word
from ..domain.credentials import held_hours
from ..domain.figures import figures
from ..domain.mentorships import free_places, is_party, move_to, open_request_of
from ..domain.people import import_rows
from ..domain.reminders import (
    Waiting, approval_waiting, request_waiting, send_checkin, send_reminder,
)
from ..outcomes import Polite, Refused
from ..outgoing.compose import Attachment, OutgoingMail
from ..parsers.commands import Keyword
from ..parsers.people_csv import read_people_csv
from ..reasons import Answer, Reason, Refusal
from ..store.models import (
    AgreementVersion, Certificate, Meeting, Mentorship, OutboundMessage, Person,
)
from ..store.states import AGREED, FINISHED, RUNNING, MeetingState, MentorshipState, VersionState
from . import closing
from .agreement import send_agreement_form
from .context import Context
from .requests import open_request


def coordinator_only(flow):
    """flow, for senders listed in MAILFLOW_COORDINATORS; anyone else changes nothing and is not
    answered."""
    @functools.wraps(flow)
    def guarded(ctx: Context) -> str:
        if ctx.inbound.sender not in ctx.settings.coordinators:
            raise Refused(Refusal.NOT_A_COORDINATOR, sender=ctx.inbound.sender)
        try:
            with ctx.session.begin_nested():
                return flow(ctx)
        except Polite as exc:
            if not isinstance(exc.reason, Answer):
                raise
            ctx.answer(exc.template, **exc.values)  # never rate limited for a coordinator
            return f"declined politely: {exc}"
    return guarded


CSV_TYPES = ("text/csv", "application/csv", "text/comma-separated-values")


def import_people(ctx: Context) -> str:
    files = [a for a in ctx.inbound.mail.attachments
             if a.content_type in CSV_TYPES or (a.filename or "").lower().endswith(".csv")]
    if not files:
        raise Polite(Reason.IMPORT_WITHOUT_CSV, files=[])
    summaries = []
    for item in files:
        people = read_people_csv(item.payload)
        counts = import_rows(ctx.session, ctx.settings, people.rows, ctx.now)
        summaries.append({"name": item.filename or "people.csv", "created": counts.created,
                          "updated": counts.updated, "unchanged": counts.unchanged,
                          "errors": [vars(e) for e in people.errors]})
    ctx.answer("import_summary", files=summaries)
    return "; ".join(f"{s['name']}: {s['created']} created, {s['updated']} updated, "
                     f"{len(s['errors'])} errors" for s in summaries)


# --- answers --------------------------------------------------------------------------------------

def _no(answer: Answer, **values) -> Polite:
    """The command was not carried out: raised, so that what it changed so far is rolled back."""
    return Polite(answer, **values)


def _yes(ctx: Context, answer: Answer, **values) -> str:
    ctx.answer(answer.template, **answer.mail_values(values))
    return answer.note(values)


def _command(ctx: Context) -> str:
    return f"{ctx.inbound.command.keyword.value} {ctx.inbound.command.argument}".strip()


def _mentorship_argument(ctx: Context) -> Mentorship:
    words = ctx.inbound.command.argument.split()
    number = words[0].lstrip("#") if words else ""
    if not number.isdigit():
        raise _no(Answer.USAGE, command=_command(ctx))
    mentorship = ctx.session.get(Mentorship, int(number))
    if mentorship is None:
        raise _no(Answer.UNKNOWN_MENTORSHIP, id=number)
    return mentorship


# --- REMIND ---------------------------------------------------------------------------------------

def remind(ctx: Context) -> str:
    """Whatever the mentorship waits for: the mentor's answer, an approval, the agreement form,
    or a check-in."""
    mentorship = _mentorship_argument(ctx)
    item = _waiting(ctx, mentorship)
    if item is not None:
        _not_bounced(item.waiting_on)
        send_reminder(ctx.signer, ctx.send, item, "coordinator")
        answer = Answer.REQUEST_REMINDED if item.kind == "request" else Answer.APPROVAL_REMINDED
        return _yes(ctx, answer, id=mentorship.id, who=item.waiting_on.name)
    if mentorship.state == MentorshipState.ACCEPTED:
        _not_bounced(mentorship.mentee)
        send_agreement_form(ctx, mentorship, mentorship.mentee)
        return _yes(ctx, Answer.AGREEMENT_FORM_SENT, id=mentorship.id, who=mentorship.mentee.name)
    if mentorship.state in AGREED:
        return _check_in(ctx, mentorship)
    raise _no(Answer.NOTHING_TO_REMIND, id=mentorship.id, state=mentorship.state)


def _waiting(ctx: Context, mentorship: Mentorship) -> Waiting | None:
    """What waits on someone in mentorship: an open request, or a proposed agreement version."""
    pending = ctx.session.scalar(select(AgreementVersion).where(
        AgreementVersion.mentorship_id == mentorship.id,
        AgreementVersion.state == VersionState.PROPOSED))
    if mentorship.state == MentorshipState.REQUESTED:
        return request_waiting(mentorship)
    if pending is not None and mentorship.state in RUNNING:
        return approval_waiting(pending, mentorship)
    return None


def _check_in(ctx: Context, mentorship: Mentorship) -> str:
    """Both participants (those who can be reached) are asked how the mentorship goes."""
    reachable = [p for p in (mentorship.mentee, mentorship.mentor) if p.bounced_at is None]
    if not reachable:
        raise _no(Answer.BOUNCED, id=mentorship.id, who=mentorship.mentee.name,
                  email=mentorship.mentee.email)
    for person in reachable:
        send_checkin(ctx.settings, ctx.signer, ctx.send, mentorship, person)
    who = ", ".join(p.name for p in reachable)
    return _yes(ctx, Answer.CHECKIN_SENT, id=mentorship.id, who=who)


def _not_bounced(person: Person) -> None:
    if person.bounced_at is not None:
        raise _no(Answer.BOUNCED, who=person.name, email=person.email, reason=person.bounce_reason)


# --- MATCH ----------------------------------------------------------------------------------------

def match(ctx: Context) -> str:
    """A coordinator's match is a request on the mentee's behalf: the mentor still accepts or
    declines."""
    words = [w.strip("<>,;").lower() for w in ctx.inbound.command.argument.split()]
    if len(words) != 2:
        raise _no(Answer.USAGE, command=_command(ctx))
    mentee, mentor = (_person(ctx, word, role) for word, role in zip(words, ("mentee", "mentor")))
    if mentee.id == mentor.id:
        raise _no(Answer.MATCH_SELF, who=mentee.name)
    already = open_request_of(ctx.session, mentee)
    if already is not None:
        raise _no(Answer.MATCH_OPEN, who=mentee.name, other=already.mentor.name, id=already.id)
    if free_places(ctx.session, [mentor])[mentor.id] <= 0:
        raise _no(Answer.MATCH_FULL, who=mentor.name, capacity=mentor.capacity)
    _not_bounced(mentor)
    mentorship = open_request(ctx, mentee, mentor, match_note(mentor.language))
    ctx.send(ctx.mail_to(mentee, "request_sent", values={"mentor": mentor.name}))
    return _yes(ctx, Answer.MATCHED, id=mentorship.id, who=mentee.name, other=mentor.name)


def match_note(language: str) -> str:
    """The note a coordinator's match carries to the mentor (MATCH, and the lines of PROPOSE)."""
    if language == "de":
        return "Das Koordinationsteam schlägt Sie als Mentor:in vor."
    return "The programme coordinators suggest you as the mentor."


def _person(ctx: Context, wanted: str, role: str) -> Person:
    person = ctx.session.scalar(select(Person).where(
        or_(Person.email == wanted, Person.handle == wanted), Person.deleted_at.is_(None)))
    if person is None:
        raise _no(Answer.UNKNOWN_PERSON, wanted=wanted, role=role)
    if person.role != role:
        raise _no(Answer.WRONG_ROLE, who=person.name, role=role, actual=person.role)
    return person


# --- END ------------------------------------------------------------------------------------------

def end(ctx: Context) -> str:
    """END <id>: an open request is withdrawn (declined); a running mentorship is completed with
    certificates, as if both had agreed."""
    mentorship = _mentorship_argument(ctx)
    if mentorship.state in FINISHED:
        raise _no(Answer.END_STATE, id=mentorship.id, state=mentorship.state)
    if mentorship.state == MentorshipState.REQUESTED:
        move_to(mentorship, MentorshipState.DECLINED, ctx.now)
        mentorship.request_closed_as = "withdrawn"
    else:
        closing.complete_mentorship(ctx, mentorship)
    return _yes(ctx, Answer.ENDED, id=mentorship.id, who=mentorship.mentee.name,
                other=mentorship.mentor.name)


# --- RESEND ---------------------------------------------------------------------------------------

def resend(ctx: Context) -> str:
    """RESEND <mentorship id>: the certificates again. RESEND <address>: the address works again
    (its bounce mark is cleared) and the mail that bounced goes out once more."""
    words = ctx.inbound.command.argument.split()
    if words and "@" in words[0]:
        return _unbounce(ctx, words[0].strip("<>,;").lower())
    mentorship = _mentorship_argument(ctx)
    certificates = ctx.session.scalars(select(Certificate).where(
        Certificate.mentorship_id == mentorship.id).order_by(Certificate.id)).all()
    if not certificates:
        raise _no(Answer.NO_CERTIFICATES, id=mentorship.id, state=mentorship.state)
    sent = []
    for certificate in certificates:
        holder = ctx.session.get(Person, certificate.person_id) if certificate.person_id else None
        if holder is None or holder.deleted_at is not None or holder.bounced_at is not None:
            continue
        ctx.send(ctx.mail_to(holder, "certificate_resent", values={"code": certificate.code},
                             attachments=certificate_attachments(certificate, holder.language)))
        sent.append(holder.name)
    if not sent:
        raise _no(Answer.NO_HOLDER, id=mentorship.id)
    return _yes(ctx, Answer.CERTIFICATES_SENT, id=mentorship.id, who=", ".join(sent))


def _unbounce(ctx: Context, address: str) -> str:
    person = ctx.session.scalar(select(Person).where(Person.email == address))
    if person is None:
        raise _no(Answer.UNKNOWN_PERSON, wanted=address, role="")
    if person.bounced_at is None:
        raise _no(Answer.NOT_BOUNCED, who=person.name, email=address)
    person.bounced_at, person.bounce_reason = None, ""
    last = ctx.session.scalar(select(OutboundMessage)
                              .where(OutboundMessage.recipient == address)
                              .order_by(OutboundMessage.id.desc()).limit(1))
    if last is not None:  # the same mail (same Message-ID) once more, through the outbox
        last.state, last.attempts = "pending", 0
        last.next_attempt_at, last.last_error = ctx.now, ""
    return _yes(ctx, Answer.UNBOUNCED, who=person.name, email=address, resent=last is not None)


# --- EXPORT and STATS -----------------------------------------------------------------------------

EXPORT_COLUMNS = ("mentorship", "state", "mentee_email", "mentee_name", "mentor_email",
                  "mentor_name", "requested_at", "activated_at", "completed_at",
                  "agreement_version", "period_from", "period_until", "meetings_agreed",
                  "meetings_held", "last_activity_at", "hours_held")


def export(ctx: Context) -> str:
    """The programme as CSV, one row per mentorship; three queries whatever the programme's
    size."""
    mentorships = ctx.session.scalars(select(Mentorship).options(
        joinedload(Mentorship.mentee), joinedload(Mentorship.mentor))
        .order_by(Mentorship.id)).all()
    agreements = {v.mentorship_id: v for v in ctx.session.scalars(
        select(AgreementVersion).where(AgreementVersion.state == VersionState.APPROVED)
        .order_by(AgreementVersion.version))}
    held = dict(ctx.session.execute(
        select(Meeting.mentorship_id, func.count(Meeting.id))
        .where(Meeting.state == MeetingState.CONFIRMED, Meeting.ends_at <= ctx.now)
        .group_by(Meeting.mentorship_id)).all())
    hours = held_hours(ctx.session, ctx.now)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for m in mentorships:
        writer.writerow([*_export_row(m, agreements.get(m.id), held.get(m.id, 0)),
                         f"{hours.get(m.id, 0):g}"])
    name = f"programme-{ctx.now.date().isoformat()}.csv"
    attachment = Attachment(name, "text/csv", buffer.getvalue().encode("utf-8"))
    ctx.answer("coordinator_export", attachments=(attachment,), count=len(mentorships))
    return f"export of {len(mentorships)} mentorships sent"


def stats(ctx: Context) -> str:
    shown = figures(ctx.session, ctx.settings, ctx.now)
    ctx.answer("coordinator_stats", figures=shown)
    return "stats sent"


def _export_row(m: Mentorship, version: AgreementVersion | None, held: int) -> list:
    """One mentorship as a row of EXPORT_COLUMNS (its current agreement, if any)."""
    agreed = ([version.version, _iso(version.period_from), _iso(version.period_until),
               version.meetings] if version else ["", "", "", ""])
    return [m.id, m.state, m.mentee.email, m.mentee.name, m.mentor.email, m.mentor.name,
            _iso(m.requested_at), _iso(m.activated_at), _iso(m.completed_at), *agreed, held,
            _iso(m.last_activity_at)]


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


# --- the check-in answer --------------------------------------------------------------------------

def checkin_received(ctx: Context) -> str:
    """A participant answers 'how is it going?': the mentorship is active again and the
    coordinators read it."""
    mentorship = ctx.session.get(Mentorship, ctx.inbound.token.object_id)
    if mentorship is None or not is_party(mentorship, ctx.person):
        raise Refused(Refusal.CHECKIN_FROM_OUTSIDE)
    mentorship.last_activity_at = ctx.now
    remind = f"{coordinator_word(ctx.settings, Keyword.REMIND)} {mentorship.id}"
    values = dict(who=ctx.person.name, email=ctx.person.email, id=mentorship.id,
                  text=ctx.inbound.new_text.strip()[:4000])
    for address in ctx.settings.coordinators:
        link = command_link(ctx.signer, remind, address, ctx.now)
        ctx.send(OutgoingMail(template="checkin_answer", to=address,
                              language=ctx.settings.language, values=dict(values, remind=link)))
    ctx.answer("checkin_thanks")
    return f"check-in answer for mentorship {mentorship.id} passed to the coordinators"
