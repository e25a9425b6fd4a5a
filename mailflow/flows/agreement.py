"""The mentoring agreement: the form goes to the one who proposes (the mentee first, either side
for an amendment), a valid form becomes a new version for the other side to approve, and every
version is kept."""
from __future__ import annotations

from sqlalchemy import select

from ..domain import achievements
from ..domain.meetings import plan_token
from ..domain.mentorships import (
    current_agreement, is_party, latest_version_number, move_to, other_side,
)
from ..outcomes import Polite
from ..outgoing.agreement_pdf import AgreementData
from ..outgoing.compose import Attachment
from ..parsers.commands import Keyword, command_word
from ..parsers.forms import read_agreement, render_form
from ..reasons import Reason
from ..store.models import AgreementVersion, Mentorship, Person
from ..store.states import RUNNING, MentorshipState, VersionState
from .context import Context
from .finding import mentorship_of
from .form_answers import form_errors, no_form


def send_agreement_form(ctx: Context, mentorship: Mentorship, proposer: Person, *, errors=(),
                        values=None, comment: str = "") -> None:
    """The form, prefilled with the current version (or the mentee's topics), to the one who
    fills it in."""
    values = values if values is not None else _prefill(ctx, mentorship)
    shown = dict(form=render_form("agreement", values, proposer.language), errors=list(errors),
                 comment=comment, other=other_side(mentorship, proposer).name,
                 amendment=current_agreement(ctx.session, mentorship) is not None)
    token = ctx.token_for("agree", mentorship.id, proposer)
    ctx.send(ctx.mail_to(proposer, "agreement_form", reply_token=token, thread=None,
                         values=shown))


def form_received(ctx: Context) -> str:
    """A reply to the agreement form: saved as a version and sent for approval, or the errors
    named."""
    mentorship = _running(mentorship_of(ctx))
    result = read_agreement(ctx.inbound.mail.text)
    if not result.found_any or not result.ok:
        errors = form_errors(result, ctx.language)
        send_agreement_form(ctx, mentorship, ctx.person, errors=errors or [no_form(ctx.language)],
                            values=result.raw if result.found_any else None)
        if not result.found_any:
            return "no agreement form found"
        return f"agreement form with {len(errors)} errors"
    version = _save_version(ctx, mentorship, result.values)
    approver = other_side(mentorship, ctx.person)
    _ask_approval(ctx, version, approver)
    ctx.answer("agreement_sent", other=approver.name, version=version.version)
    return (f"agreement version {version.version} of mentorship {mentorship.id} "
            f"sent to {approver.email}")


def _ask_approval(ctx: Context, version: AgreementVersion, approver: Person) -> None:
    """The new version to the other side, with one-click APPROVE and CHANGES."""
    token = ctx.token_for("approve", version.id, approver)
    approve, changes = (command_word(k, approver.language)
                        for k in (Keyword.APPROVE, Keyword.CHANGES))
    ctx.send(ctx.mail_to(approver, "approval_request", reply_token=token, values=dict(
        proposer=ctx.person.name, agreement=_shown(version), version=version.version,
        approve=ctx.link(token, approve), changes=ctx.link(token, changes, f"{changes} "))))


def approve(ctx: Context) -> str:
    version = _pending_version(ctx)
    mentorship = ctx.session.get(Mentorship, version.mentorship_id)
    previous = current_agreement(ctx.session, mentorship)
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
    version.state, version.approved_by_id = VersionState.APPROVED, ctx.person.id
    version.approved_at = ctx.now
    if mentorship.state == MentorshipState.ACCEPTED:
        move_to(mentorship, MentorshipState.ACTIVE, ctx.now)
    mentorship.last_activity_at = ctx.now
    kind = "agreement_signed" if previous is None else "agreement_amended"
    for person in (mentorship.mentee, mentorship.mentor):
        achievements.record(ctx.session, person, kind, ctx.now, ref=f"a{version.id}",
                            mentorship_id=mentorship.id)
        _send_approved(ctx, version, mentorship, person, amendment=previous is not None)
    return (f"agreement version {version.version} approved; "
            f"mentorship {mentorship.id} {mentorship.state}")


def _send_approved(ctx: Context, version: AgreementVersion, mentorship: Mentorship,
                   person: Person, *, amendment: bool) -> None:
    """The approved version to person as a PDF; a reply to it may propose a meeting."""
    values = dict(agreement=_shown(version), version=version.version, amendment=amendment,
                  plan=ctx.signer.address(plan_token(mentorship, person)))
    ctx.send(ctx.mail_to(person, "agreement_approved",
                         attachments=(_agreement_pdf(ctx, version, person),),
                         reply_token=ctx.token_for("meetform", mentorship.id, person),
                         values=values))


def ask_changes(ctx: Context) -> str:
    version = _pending_version(ctx)
    comment = ctx.inbound.command.argument.strip()
    version.state, version.comment = VersionState.CHANGES_REQUESTED, comment[:2000]
    mentorship = ctx.session.get(Mentorship, version.mentorship_id)
    proposer = ctx.session.get(Person, version.proposed_by_id)
    send_agreement_form(ctx, mentorship, proposer, values=_values(version), comment=comment)
    ctx.answer("agreement_returned", other=proposer.name)
    return f"changes asked for agreement version {version.version}"


def amend(ctx: Context) -> str:
    """Either side starts an amendment: they get the form with the current version; the other
    must approve."""
    mentorship = _running(mentorship_of(ctx))
    if current_agreement(ctx.session, mentorship) is None:
        raise Polite(Reason.NOTHING_TO_AMEND)
    send_agreement_form(ctx, mentorship, ctx.person)
    return f"amendment form for mentorship {mentorship.id} sent"


def not_yours_to_approve(ctx: Context) -> str:
    raise Polite(Reason.APPROVE_OWN)


def _running(mentorship: Mentorship) -> Mentorship:
    """mentorship, if an agreement can still be made or amended for it."""
    if mentorship.state not in RUNNING:
        raise Polite(Reason.MENTORSHIP_ALREADY, state=mentorship.state, mentorship=mentorship.id)
    return mentorship


def _pending_version(ctx: Context) -> AgreementVersion:
    version = ctx.session.get(AgreementVersion, ctx.inbound.token.object_id)
    mentorship = ctx.session.get(Mentorship, version.mentorship_id) if version else None
    if version is None or not is_party(mentorship, ctx.person):
        raise Polite(Reason.NOT_PARTY_OF_AGREEMENT, agreement=ctx.inbound.token.object_id)
    if version.proposed_by_id == ctx.person.id:
        return not_yours_to_approve(ctx)
    if version.state != VersionState.PROPOSED:
        raise Polite(Reason.VERSION_ALREADY, state=version.state, version=version.version)
    return version


def _save_version(ctx: Context, mentorship: Mentorship, values: dict) -> AgreementVersion:
    for waiting in ctx.session.scalars(select(AgreementVersion).where(
            AgreementVersion.mentorship_id == mentorship.id,
            AgreementVersion.state == VersionState.PROPOSED)):
        # the newer proposal replaces one that was still waiting
        waiting.state = VersionState.WITHDRAWN
    version = AgreementVersion(
        mentorship_id=mentorship.id, version=latest_version_number(ctx.session, mentorship) + 1,
        period_from=values["period_from"], period_until=values["period_until"],
        meetings=values["number_of_meetings"], contact_kind=values["kind_of_contact"],
        contact_frequency=values["frequency_of_contact"], topics=list(values["topic_plan"]),
        proposed_by_id=ctx.person.id, proposed_at=ctx.now, state=VersionState.PROPOSED, comment="")
    ctx.session.add(version)
    mentorship.last_activity_at = ctx.now
    ctx.session.flush()
    return version


def _values(version: AgreementVersion) -> dict:
    return {"period_from": version.period_from, "period_until": version.period_until,
            "number_of_meetings": version.meetings, "kind_of_contact": version.contact_kind,
            "frequency_of_contact": version.contact_frequency, "topic_plan": list(version.topics)}


def _prefill(ctx: Context, mentorship: Mentorship) -> dict:
    current = current_agreement(ctx.session, mentorship)
    if current is not None:
        return _values(current)
    return {"topic_plan": list(mentorship.mentee.topics)}


def _shown(version: AgreementVersion) -> dict:
    return {**_values(version), "topics": list(version.topics)}


def _agreement_pdf(ctx: Context, version: AgreementVersion, reader: Person) -> Attachment:
    mentorship = ctx.session.get(Mentorship, version.mentorship_id)
    data = AgreementData(
        language=reader.language, programme=ctx.settings.programme,
        mentee_name=mentorship.mentee.name, mentor_name=mentorship.mentor.name,
        period_from=version.period_from, period_until=version.period_until,
        meetings=version.meetings, contact_kind=version.contact_kind,
        contact_frequency=version.contact_frequency, topics=tuple(version.topics),
        version=version.version,
        approved_on=version.approved_at.date() if version.approved_at else None,
        created_at=version.proposed_at)
    name = "Mentoring-Vereinbarung" if reader.language == "de" else "mentoring-agreement"
    return Attachment(f"{name}-v{version.version}.pdf", "application/pdf",
                      ctx.documents.agreement_pdf(data, created=version.approved_at or ctx.now))
