"""A person's rights over their data (GDPR / DSGVO): EXPORT sends all of it as JSON;
DELETE / LÖSCHEN asks for a signed YES, then removes or anonymises it everywhere (raw mails
included), keeping only what checking a certificate needs (its code, period and a keyed digest of
the name), and tells the coordinators."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import JSON, LargeBinary, String, Text, cast, delete, literal, or_, select, update

from ..domain.completion import name_digest
from ..domain.mentorships import move_to, other_side
from ..outgoing.compose import Attachment, OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import (
    Achievement, AgreementVersion, Base, Certificate, Concern, Feedback, InboundMessage, Meeting,
    Mentorship, OptOut, OutboundMessage, Person, PulseCheck,
)
from ..store.states import RUNNING, MentorshipState
from ..tokens import day_number
from .context import Context

REMOVED = "[deleted]"


def export(ctx: Context) -> str:
    data = exported(ctx.session, ctx.person, ctx.now)
    payload = json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")
    name = f"my-data-{ctx.now.date().isoformat()}.json"
    attachment = Attachment(name, "application/json", payload)
    ctx.answer("export", attachments=(attachment,), mentorships=len(data["mentorships"]))
    return f"export of person {ctx.person.id} sent"


def request_delete(ctx: Context) -> str:
    # dated: a YES found in the mailbox weeks later deletes nothing (tokens.LIFETIMES)
    token = ctx.token_for("delete", day_number(ctx.now), ctx.person)
    yes, no = (command_word(k, ctx.language) for k in (Keyword.YES, Keyword.NO))
    ctx.answer("delete_confirm", reply_token=token, yes=ctx.link(token, yes),
               no=ctx.link(token, no))
    return f"deletion of person {ctx.person.id} asked to confirm"


def delete_confirmed(ctx: Context) -> str:
    person = ctx.person  # the token's own person: the worker checked the sender is them
    person_id, role = person.id, person.role
    ended = erase(ctx, person)
    for address in ctx.settings.coordinators:
        ctx.send(OutgoingMail(template="deletion_notice", to=address,
                              language=ctx.settings.language,
                              values={"person_id": person_id, "role": role, "ended": ended}))
    return f"person {person_id} deleted; {len(ended)} mentorships ended"


def keep(ctx: Context) -> str:
    ctx.answer("delete_dropped")
    return "deletion not confirmed; nothing deleted"


def exported(session, person: Person, now: datetime) -> dict:
    """Everything held about person, as plain data."""
    mine = or_(Mentorship.mentee_id == person.id, Mentorship.mentor_id == person.id)
    mentorships = session.scalars(select(Mentorship).where(mine).order_by(Mentorship.id)).all()
    ids = [m.id for m in mentorships]
    return {
        "exported_at": now, "person": _row(person),
        "mentorships": [_exported_mentorship(session, m) for m in mentorships],
        "feedback": _rows(session, select(Feedback).where(Feedback.person_id == person.id)),
        "achievements": _rows(session, select(Achievement).where(
            Achievement.person_id == person.id).order_by(Achievement.created_at)),
        "certificates": _rows(session, select(Certificate).where(
            Certificate.person_id == person.id), skip=("pdf", "badge_png")),
        "mails_from_you": _rows(session, select(InboundMessage).where(
            InboundMessage.envelope_from == person.email).order_by(InboundMessage.id),
            skip=("raw", "dedup_key")),
        "mails_to_you": _rows(session, select(OutboundMessage).where(
            OutboundMessage.recipient == person.email).order_by(OutboundMessage.id),
            skip=("raw",)),
        "mentorship_ids": ids,
        # private: only ever in their own export, never in the other side's
        "concerns": _rows(session, select(Concern).where(Concern.person_id == person.id)
                          .order_by(Concern.id)),
        "pulse_answers": _rows(session, select(PulseCheck).where(
            PulseCheck.person_id == person.id).order_by(PulseCheck.id)),
    }


def _exported_mentorship(session, mentorship: Mentorship) -> dict:
    """A mentorship with its agreement versions and meetings, as plain data."""
    return {**_row(mentorship), "mentee": mentorship.mentee.name,
            "mentor": mentorship.mentor.name,
            "agreement_versions": _rows(session, select(AgreementVersion).where(
                AgreementVersion.mentorship_id == mentorship.id)
                .order_by(AgreementVersion.version)),
            "meetings": _rows(session, select(Meeting).where(
                Meeting.mentorship_id == mentorship.id).order_by(Meeting.starts_at))}


def erase(ctx: Context, person: Person) -> list[int]:
    """Remove or anonymise everything about person; returns the ids of running mentorships this
    ended."""
    session, now = ctx.session, ctx.now
    secrets = [s for s in (person.email, person.name, person.handle or "") if len(s) >= 3]
    ended = _end_mentorships(ctx, person)
    session.execute(update(Feedback).where(Feedback.person_id == person.id).values(comment=""))
    session.execute(update(PulseCheck).where(PulseCheck.person_id == person.id).values(comment=""))
    session.execute(delete(Concern).where(Concern.person_id == person.id))
    session.execute(delete(Achievement).where(Achievement.person_id == person.id))
    for certificate in session.scalars(select(Certificate).where(
            Certificate.person_id == person.id)):
        certificate.holder_name = name_digest(ctx.settings, certificate.holder_name)
        certificate.pdf = b""
        certificate.credential, certificate.badge_png = "", None  # they name the holder
    session.execute(delete(OptOut).where(OptOut.address == person.email))
    _scrub_raw_mails(session, person.email, secrets)
    person.email, person.name, person.handle = f"deleted-{person.id}@invalid", "", None
    person.topics, person.about, person.bounce_reason, person.bounced_at = [], "", "", None
    person.deleted_at = now
    session.flush()
    scrub_text_columns(session, secrets)
    return ended


def _end_mentorships(ctx: Context, person: Person) -> list[int]:
    ended = []
    mine = or_(Mentorship.mentee_id == person.id, Mentorship.mentor_id == person.id)
    for mentorship in ctx.session.scalars(select(Mentorship).where(mine)):
        if mentorship.mentee_id == person.id:
            mentorship.request_note = ""
        for meeting in ctx.session.scalars(select(Meeting).where(
                Meeting.mentorship_id == mentorship.id)):
            meeting.place, meeting.topic = "", ""
        ctx.session.execute(update(AgreementVersion)
                            .where(AgreementVersion.mentorship_id == mentorship.id)
                            .values(comment=""))
        if mentorship.state == MentorshipState.REQUESTED:
            move_to(mentorship, MentorshipState.DECLINED, ctx.now)
        elif mentorship.state in RUNNING:
            move_to(mentorship, MentorshipState.COMPLETED, ctx.now)
            ctx.send(ctx.mail_to(other_side(mentorship, person), "partner_left", values={}))
            ended.append(mentorship.id)
    return ended


def _scrub_raw_mails(session, email: str, secrets: list[str]) -> None:
    """Mails to them go; mails from them and sent mails that name them keep their row but lose
    the raw bytes."""
    session.execute(delete(OutboundMessage).where(OutboundMessage.recipient == email))
    naming = [_bytes_like(InboundMessage.raw, s) for s in secrets]
    session.execute(update(InboundMessage)
                    .where(or_(InboundMessage.envelope_from == email, *naming))
                    .values(raw=b"", message_id=None, envelope_from=None, envelope_to=[])
                    .execution_options(synchronize_session="fetch"))
    sent_naming = [_bytes_like(OutboundMessage.raw, s) for s in secrets]
    session.execute(update(OutboundMessage)
                    .where(OutboundMessage.state.in_(("sent", "failed")), or_(*sent_naming))
                    .values(raw=b"").execution_options(synchronize_session="fetch"))


def _bytes_like(column, text: str):
    """column holds text's UTF-8 bytes (bytea LIKE on PostgreSQL, BLOB LIKE on SQLite)."""
    return column.op("LIKE")(literal(b"%" + text.encode("utf-8") + b"%", LargeBinary))


def scrub_text_columns(session, secrets: list[str]) -> int:
    """Replace every remaining occurrence of the secrets in any text or JSON column of any table."""
    changed = 0
    forms = {s: {s, json.dumps(s)[1:-1]} for s in secrets}  # JSON may store "Zoë" as "Zo\u00eb"
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)[0]
        for column in table.columns:
            if not _holds_text(column):
                continue
            text = cast(column, Text)
            found = or_(*(text.contains(form, autoescape=True)
                          for s in secrets for form in forms[s]))
            for row_id, value in session.execute(select(key, column).where(found)).all():
                session.execute(update(table).where(key == row_id)
                                .values({column.name: _replaced(value, secrets)}))
                changed += 1
    return changed


def _holds_text(column) -> bool:
    return (isinstance(column.type, (String, Text, JSON))
            and not isinstance(column.type, LargeBinary))


def _replaced(value, secrets: list[str]):
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, REMOVED)
        return value
    if isinstance(value, list):
        return [_replaced(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, secrets) for k, v in value.items()}
    return value


def _rows(session, query, skip: tuple[str, ...] = ()) -> list[dict]:
    return [_row(obj, skip) for obj in session.scalars(query)]


def _row(obj, skip: tuple[str, ...] = ()) -> dict:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
