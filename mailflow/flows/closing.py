"""Closing: END / BEENDEN from either side asks the other to confirm; YES / JA completes the
mentorship (each gets a PDF certificate), NO / NEIN keeps it running and tells the first side;
silence counts as consent after one reminder (completion.closing_silence).
CERTIFICATE / BESCHEINIGUNG sends a person's certificates (PDF and badge) again; VERIFY <code> /
PRÜFEN <code> tells anyone whether a certificate is genuine (or revoked), for whom and which
period, nothing more, with its signed credential attached."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import exists, select

from ..domain.completion import (
    DELETED_PREFIX, Issuing, certificate_attachments, complete, name_digest, normalise_code,
    send_end_question,
)
from ..domain.mentorships import is_party, move_to, other_side
from ..outcomes import Polite
from ..outgoing.compose import Attachment
from ..reasons import Reason
from ..store.models import Certificate, Meeting, Mentorship, Person
from ..store.states import RUNNING, MeetingState, MentorshipState
from .context import Context
from .finding import mentorship_of

# END of a mentorship that is not running: every state but accepted, active and ending
CANNOT_END = {MentorshipState.REQUESTED: Reason.END_NOT_STARTED,
              MentorshipState.DECLINED: Reason.END_DECLINED,
              MentorshipState.COMPLETED: Reason.END_COMPLETED}


def request_end(ctx: Context) -> str:
    """END from one side: the other is asked (or, if the other asked first, this is their
    consent)."""
    mentorship = mentorship_of(ctx)
    if mentorship.state == MentorshipState.ENDING:
        if mentorship.end_requested_by_id == ctx.person.id:
            raise Polite(Reason.END_ASKED_ALREADY, other=other_side(mentorship, ctx.person).name)
        return _complete(ctx, mentorship, "confirmed")
    if mentorship.state not in RUNNING:  # ending was settled above
        raise Polite(CANNOT_END[mentorship.state])
    move_to(mentorship, MentorshipState.ENDING, ctx.now, by=ctx.person)
    mentorship.last_activity_at = ctx.now
    other = other_side(mentorship, ctx.person)
    deadline = ctx.now + timedelta(days=ctx.settings.closing_silence_days)
    send_end_question(ctx.signer, ctx.send, mentorship, ctx.person, other, deadline=deadline,
                      comment=_comment(ctx))
    ctx.answer("end_requested", other=other.name, deadline=deadline,
               closing_held=_closing_held(ctx, mentorship))
    return f"end of mentorship {mentorship.id} asked; waiting for {other.email}"


def confirm_end(ctx: Context) -> str:
    """YES from the side that was asked."""
    mentorship = _asked(ctx)
    return _complete(ctx, mentorship, "confirmed")


def keep_running(ctx: Context) -> str:
    """NO from the side that was asked: the mentorship goes on, and the first side is told."""
    mentorship = _asked(ctx)
    asker = ctx.session.get(Person, mentorship.end_requested_by_id)
    back = MentorshipState.ACTIVE if mentorship.activated_at else MentorshipState.ACCEPTED
    move_to(mentorship, back, ctx.now)
    mentorship.last_activity_at = ctx.now
    ctx.send(ctx.mail_to(asker, "end_kept",
                         values={"other": ctx.person.name, "comment": _comment(ctx)}))
    ctx.answer("end_continues", other=asker.name)
    return f"mentorship {mentorship.id} goes on: {ctx.person.email} said no"


def complete_mentorship(ctx: Context, mentorship: Mentorship) -> None:
    """For the coordinators' END: completed with certificates, as if both had agreed."""
    complete(_issuing(ctx), mentorship, how="coordinators")


def resend_certificates(ctx: Context) -> str:
    certificates = ctx.session.scalars(select(Certificate).where(
        Certificate.person_id == ctx.person.id)
        .order_by(Certificate.issued_at, Certificate.id)).all()
    if not certificates:
        raise Polite(Reason.NO_CERTIFICATES)
    attachments = tuple(a for c in certificates for a in certificate_attachments(c, ctx.language))
    rows = [{"code": c.code, "period_from": c.period_from, "period_until": c.period_until}
            for c in certificates]
    ctx.answer("certificates", attachments=attachments, certificates=rows)
    return f"{len(certificates)} certificates sent again"


def verify(ctx: Context) -> str:
    """Anyone may ask; the answer names the holder and the period of a genuine certificate,
    nothing else."""
    argument = ctx.inbound.command.argument if ctx.inbound.command else ""
    code, name = _code_and_name(argument)
    certificate = (ctx.session.scalar(select(Certificate).where(Certificate.code == code))
                   if code else None)
    if certificate is None:
        ctx.answer("verify_result", genuine=False, typed=argument.strip()[:60])
        return f"verification of {argument.strip()[:40]!r}: unknown"
    removed = certificate.holder_name.startswith(DELETED_PREFIX)
    name_matches = ((name_digest(ctx.settings, name) == certificate.holder_name)
                    if removed and name else None)
    holder = None if removed else certificate.holder_name
    revoked = certificate.revoked_at is not None
    ctx.answer("verify_result", genuine=True, code=certificate.code, holder=holder, removed=removed,
               asked_name=name, name_matches=name_matches, period_from=certificate.period_from,
               period_until=certificate.period_until, revoked=revoked,
               revoked_on=certificate.revoked_at, reason=certificate.revoked_reason,
               credential_attached=bool(certificate.credential),
               attachments=_credential_file(certificate))
    return f"certificate {certificate.code} verified{' (revoked)' if revoked else ''}"


def _credential_file(certificate: Certificate) -> tuple[Attachment, ...]:
    """The signed credential, for a verifier's own check against the published key."""
    if not certificate.credential:
        return ()
    return (Attachment(f"credential-{certificate.code}.jwt", "application/vc+jwt",
                       certificate.credential.encode("ascii")),)


def _asked(ctx: Context) -> Mentorship:
    mentorship = ctx.session.get(Mentorship, ctx.inbound.token.object_id)
    if mentorship is None or not is_party(mentorship, ctx.person):
        raise Polite(Reason.NOT_A_PARTY, mentorship=ctx.inbound.token.object_id)
    asked_self = mentorship.end_requested_by_id == ctx.person.id
    if mentorship.state != MentorshipState.ENDING or asked_self:
        raise Polite(Reason.MENTORSHIP_ALREADY, state=mentorship.state, mentorship=mentorship.id)
    return mentorship


def _complete(ctx: Context, mentorship: Mentorship, how: str) -> str:
    certificates = complete(_issuing(ctx), mentorship, how=how)
    codes = ", ".join(c.code for c in certificates)
    return f"mentorship {mentorship.id} completed; certificates {codes}"


def _issuing(ctx: Context) -> Issuing:
    return Issuing(ctx.session, ctx.settings, ctx.signer, ctx.documents, ctx.now, ctx.send)


def _closing_held(ctx: Context, mentorship: Mentorship) -> bool:
    return bool(ctx.session.scalar(select(exists().where(
        Meeting.mentorship_id == mentorship.id, Meeting.closing.is_(True),
        Meeting.state == MeetingState.CONFIRMED,
        Meeting.ends_at <= ctx.now))))


def _comment(ctx: Context) -> str:
    """What the person wrote with the keyword: the rest of its line and the lines below."""
    argument = ctx.inbound.command.argument.strip() if ctx.inbound.command else ""
    below = "\n".join(ctx.inbound.new_text.strip().splitlines()[1:]).strip()
    return "\n".join(part for part in (argument, below) if part)[:500]


def _code_and_name(argument: str) -> tuple[str, str]:
    """VERIFY K7QM-2XPA-9C [name]: the code (spaces and dashes anywhere) and what follows it."""
    collected, words = "", argument.split()
    for index, word in enumerate(words):
        collected += re.sub(r"[^A-Za-z0-9]", "", word)
        if len(collected) >= 10:
            return normalise_code(collected), " ".join(words[index + 1:]).strip()
    return normalise_code(collected), ""
