"""The machine-checkable side of a certificate: the Open Badges 3.0 credential with the evidence
of each meeting that took place, its baked badge, the hours, the LinkedIn link, and the
revocation list the issuer publishes.

A meeting's evidence says how it was confirmed, which only we can say: how the acceptor accepted
(their calendar's iMIP REPLY, a reply to the invitation mail, an agreed counter proposal), and how
many sides said in their feedback that it took place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..outgoing.credential import (
    CredentialFacts, MeetingEvidence, credential_id, hours_of, signed_credential,
)
from ..outgoing.issuer_key import IssuerKey
from ..outgoing.issuer_profile import (
    issuer_id, public_documents, status_url, verification_link, write_public,
)
from ..store.models import AgreementVersion, Certificate, Feedback, Meeting, Person
from ..store.states import MeetingState

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class Signed:
    """What a certificate carries besides its PDF."""

    credential: str  # VC-JWT
    badge: bytes  # PNG with the credential baked in
    minutes: int
    link: str  # what the QR code opens


def meeting_evidence(session: Session, meetings: list[Meeting],
                     zone: ZoneInfo) -> tuple[MeetingEvidence, ...]:
    """Each meeting with its length, how it was accepted, and how many said it took place."""
    said_yes = dict(session.execute(
        select(Feedback.meeting_id, func.count(Feedback.id))
        .where(Feedback.meeting_id.in_([m.id for m in meetings]),
               Feedback.took_place.is_(True))
        .group_by(Feedback.meeting_id)).all()) if meetings else {}
    return tuple(MeetingEvidence(
        day=m.starts_at.astimezone(zone).date(),
        minutes=round((m.ends_at - m.starts_at).total_seconds() / 60),
        confirmed_via=m.confirmed_via or "", confirmed_by=said_yes.get(m.id, 0))
        for m in meetings)


def sign_certificate(settings: Settings, key: IssuerKey, *, person: Person, role: str, code: str,
                     period: tuple[date, date], agreement: AgreementVersion | None,
                     evidence: tuple[MeetingEvidence, ...], now: datetime) -> Signed:
    """The credential of one certificate, signed, and its badge."""
    # imported here: Pillow and segno cost every process that imports this module ~50 ms, and
    # only issuing a certificate draws a badge
    from ..outgoing.badge_png import badge_png
    facts = CredentialFacts(
        language=person.language, code=code, issuer_id=issuer_id(settings),
        issuer_name=settings.programme, issuer_email=settings.hello_address,
        status_url=status_url(settings), holder_name=person.name, holder_email=person.email,
        role=role, programme=settings.programme, period_from=period[0], period_until=period[1],
        agreed_period=(agreement.period_from, agreement.period_until) if agreement else None,
        meetings_agreed=agreement.meetings if agreement else None, meetings=evidence,
        issued_at=now)
    credential = signed_credential(facts, key)
    link = verification_link(settings, code)
    return Signed(credential, badge_png(credential, link), sum(m.minutes for m in evidence), link)


def linkedin_link(settings: Settings, certificate: Certificate, name: str) -> str:
    """LinkedIn's Add-to-Profile link for a certification, filled in."""
    params = {"startTask": "CERTIFICATION_NAME", "name": name,
              "organizationName": settings.programme,
              "issueYear": certificate.issued_at.year, "issueMonth": certificate.issued_at.month,
              "certId": certificate.code}
    if settings.verify_url:
        params["certUrl"] = verification_link(settings, certificate.code)
    return f"{LINKEDIN_ADD}?{urlencode(params)}"


def held_hours(session: Session, now: datetime) -> dict[int, float]:
    """Hours of the meetings that took place, by mentorship (as completion.held_meetings counts:
    confirmed, over, and nobody said it did not take place)."""
    said_no = exists().where(Feedback.meeting_id == Meeting.id, Feedback.took_place.is_(False))
    minutes: dict[int, int] = {}
    for mentorship_id, starts, ends in session.execute(
            select(Meeting.mentorship_id, Meeting.starts_at, Meeting.ends_at)
            .where(Meeting.state == MeetingState.CONFIRMED, Meeting.ends_at <= now, ~said_no)):
        minutes[mentorship_id] = minutes.get(mentorship_id, 0) + round(
            (ends - starts).total_seconds() / 60)
    return {key: hours_of([value]) for key, value in minutes.items()}


def revoked(session: Session, settings: Settings) -> list[tuple[str, str]]:
    """(credential id, reason) of every revoked certificate, oldest revocation first."""
    rows = session.execute(select(Certificate.code, Certificate.revoked_reason)
                           .where(Certificate.revoked_at.is_not(None))
                           .order_by(Certificate.revoked_at, Certificate.id)).all()
    return [(credential_id(issuer_id(settings), code), reason) for code, reason in rows]


def publish(session: Session, settings: Settings, key: IssuerKey) -> bool:
    """The issuer profile, JWKS and revocation list written for the operator to serve; whether
    any of them changed."""
    return write_public(settings.home, public_documents(settings, key, revoked(session, settings)))
