"""Completing a mentorship and issuing its certificates: the one place that does it, whether the
other side said YES, a coordinator ended it, or silence counted as consent (the closing job below).
Each person gets a PDF certificate in their language, stored with a verification code, and its
signed Open Badges credential (in the PDF and baked into a PNG badge), both attached to their
completion mail (domain.credentials)."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..outgoing.certificate_pdf import CertificateData
from ..outgoing.compose import Attachment, OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import Certificate, Feedback, Meeting, Mentorship, Person
from ..store.states import MeetingState, MentorshipState
from ..tokens import Token, TokenSigner
from . import achievements
from .credentials import linkedin_link, meeting_evidence, sign_certificate
from .mentorships import current_agreement, move_to, other_side, role_in
from .sending import Send

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 10  # 50 bits
# holder_name after the holder deleted their data: only a digest to check a name with
DELETED_PREFIX = "hmac:"


@dataclass(frozen=True)
class Issuing:
    """What completing needs besides the session: it works inside a flow and inside a job alike."""

    session: Session
    settings: Settings
    signer: TokenSigner
    documents: object  # outgoing.certificates.DocumentRenderer
    now: datetime
    send: Send


def new_code() -> str:
    """A readable, unguessable verification code such as K7QM-2XPA-9C (10 characters in groups)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(text: str) -> str:
    """What someone typed (any case, with or without dashes and spaces) as a stored code, or "" if
    it is none."""
    raw = re.sub(r"[^A-Za-z0-9]", "", text or "").upper()
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return ""
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def name_digest(settings: Settings, name: str) -> str:
    """A keyed digest of a name: after deletion it can confirm a name shown on a certificate, not
    reveal it."""
    folded = " ".join(unicodedata.normalize("NFC", name).casefold().split())
    digest = hmac.new(settings.secret.encode(), folded.encode(), hashlib.sha256).hexdigest()
    return DELETED_PREFIX + digest[:32]


def held_meetings(session: Session, mentorship: Mentorship, now: datetime) -> list[Meeting]:
    """Meetings that took place: confirmed, over, and nobody said in their feedback that it did not
    happen."""
    said_no = exists().where(Feedback.meeting_id == Meeting.id, Feedback.took_place.is_(False))
    return list(session.scalars(select(Meeting).where(
        Meeting.mentorship_id == mentorship.id, Meeting.state == MeetingState.CONFIRMED,
        Meeting.ends_at <= now, ~said_no)
        .order_by(Meeting.starts_at)))


def period_of(session: Session, mentorship: Mentorship, until: date) -> tuple[date, date]:
    """From the agreed start (or the day it was accepted) to the day it was completed."""
    agreement = current_agreement(session, mentorship)
    start = agreement.period_from if agreement else (
        mentorship.activated_at or mentorship.answered_at or mentorship.requested_at).date()
    return min(start, until), until


def complete(issuing: Issuing, mentorship: Mentorship, *, how: str) -> list[Certificate]:
    """The mentorship completed, achievements recorded, a certificate for each side mailed and
    stored. how: "confirmed" | "silence" | "coordinators" (named in the completion mail)."""
    session, now = issuing.session, issuing.now
    move_to(mentorship, MentorshipState.COMPLETED, now)
    mentorship.last_activity_at = now
    issued = []
    for person in (mentorship.mentee, mentorship.mentor):
        achievements.record(session, person, "mentorship_completed", now, ref=f"m{mentorship.id}",
                            mentorship_id=mentorship.id)
        if person.deleted_at is not None:
            continue
        certificate = issue(issuing, mentorship, person)
        issued.append(certificate)
        issuing.send(OutgoingMail(
            template="mentorship_completed", to=person.email, to_name=person.name,
            language=person.language,
            attachments=certificate_attachments(certificate, person.language),
            values={"other": other_side(mentorship, person).name, "how": how,
                    "code": certificate.code, "period_from": certificate.period_from,
                    "period_until": certificate.period_until, "hours": certificate.hours,
                    "linkedin": linkedin_link(issuing.settings, certificate,
                                              _certification_name(issuing, mentorship, person))}))
    return issued


def issue(issuing: Issuing, mentorship: Mentorship, person: Person) -> Certificate:
    """Person's certificate for mentorship: drawn once, stored, and from then on only sent again."""
    session, now, settings = issuing.session, issuing.now, issuing.settings
    zone = ZoneInfo(person.timezone or settings.timezone)
    period_from, period_until = period_of(session, mentorship, now.astimezone(zone).date())
    agreement = current_agreement(session, mentorship)
    role, partner = role_in(mentorship, person), other_side(mentorship, person)
    code = new_code()
    held = held_meetings(session, mentorship, now)
    signed = _signed(issuing, person, role, code, (period_from, period_until), agreement,
                     meeting_evidence(session, held, zone))
    data = CertificateData(
        language=person.language, programme=settings.programme, holder_name=person.name,
        holder_role=role, partner_name=partner.name if partner.deleted_at is None else "–",
        period_from=period_from, period_until=period_until,
        meeting_dates=tuple(m.starts_at.astimezone(zone).date() for m in held),
        topics=tuple(agreement.topics) if agreement else (), issued_on=now.astimezone(zone).date(),
        verification_code=code, verify_address=settings.hello_address,
        minutes=sum(round((m.ends_at - m.starts_at).total_seconds() / 60) for m in held),
        qr_link=signed.link if signed else "", credential=signed.credential if signed else "")
    certificate = Certificate(code=code, person_id=person.id, mentorship_id=mentorship.id,
                              holder_name=person.name, period_from=period_from,
                              period_until=period_until, issued_at=now,
                              pdf=issuing.documents.certificate_pdf(data, created=now),
                              hours=round(data.minutes / 60, 2),
                              credential=signed.credential if signed else "",
                              badge_png=signed.badge if signed else None)
    session.add(certificate)
    achievements.record(session, person, "certificate_issued", now, ref=f"c{mentorship.id}",
                        mentorship_id=mentorship.id)
    session.flush()
    return certificate


def _signed(issuing: Issuing, person: Person, role: str, code: str, period: tuple[date, date],
            agreement, evidence):
    """The credential and badge, when the renderer has an issuer key (the composition root
    gives it one; a bare renderer, as in a benchmark, issues the PDF alone)."""
    key = getattr(issuing.documents, "issuer", None)
    if key is None:
        return None
    return sign_certificate(issuing.settings, key, person=person, role=role, code=code,
                            period=period, agreement=agreement, evidence=evidence,
                            now=issuing.now)


def _certification_name(issuing: Issuing, mentorship: Mentorship, person: Person) -> str:
    role = role_in(mentorship, person)
    if person.language == "de":
        return f"{'Mentee' if role == 'mentee' else 'Mentor/in'} – {issuing.settings.programme}"
    return f"{role.capitalize()} – {issuing.settings.programme}"


def certificate_attachment(certificate: Certificate, language: str) -> Attachment:
    name = "Teilnahmebescheinigung" if language == "de" else "certificate"
    return Attachment(f"{name}-{certificate.code}.pdf", "application/pdf", certificate.pdf)


def certificate_attachments(certificate: Certificate, language: str) -> tuple[Attachment, ...]:
    """The PDF and, when it has one, the badge with its baked credential."""
    pdf = certificate_attachment(certificate, language)
    if not certificate.badge_png:
        return (pdf,)
    name = "Abzeichen" if language == "de" else "badge"
    return pdf, Attachment(f"{name}-{certificate.code}.png", "image/png", certificate.badge_png)


# --- silence counts as consent --------------------------------------------------------------------


def send_end_question(signer: TokenSigner, send: Send, mentorship: Mentorship, asker: Person,
                      other: Person, *, deadline: datetime, reminder: bool = False,
                      comment: str = "") -> None:
    """Ask other whether the mentorship may end (YES / NO links on a token only they can use)."""
    token = Token("reply", "end", mentorship.id, other.id)
    yes, no = (command_word(k, other.language) for k in (Keyword.YES, Keyword.NO))
    values = {"asker": asker.name, "yes": signer.mailto(token, yes), "no": signer.mailto(token, no),
              "deadline": deadline, "reminder": reminder, "comment": comment}
    send(OutgoingMail(template="end_question", to=other.email, to_name=other.name,
                      language=other.language, reply_token=token, values=values))
