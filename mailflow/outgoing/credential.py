"""The Open Badges 3.0 credential of a certificate: an `OpenBadgeCredential` (a W3C Verifiable
Credential 2.0) stating who took part in which programme, with one evidence entry per meeting that
took place and how it was confirmed, the agreement, and the hours as a result; signed as a VC-JWT.

Built from plain facts (the domain gathers them), so the same facts give the same claims. The JWT
payload is the credential itself with the registered claims OB 3.0 section 8.2 maps onto it (iss =
issuer.id, nbf = validFrom, jti = id); the header names the key (kid) the issuer profile
publishes. The subject is identified as OB 3.0 allows without a DID: a salted SHA-256 of the
e-mail address, and the name in clear (identityType "name").
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from .issuer_key import IssuerKey

CONTEXT = ["https://www.w3.org/ns/credentials/v2",
           "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
STATUS_TYPE = "1EdTechRevocationList"  # the 1EdTech Revocation List status method
HOURS_RESULT = "urn:mailflow:result:hours"

# how the acceptor confirmed a meeting (Meeting.confirmed_via), then how many said it took place
CONFIRMED = {
    "en": {"calendar": "accepted in the mentor's calendar (iMIP REPLY)",
           "reply": "accepted by reply to the invitation", "counter": "new time agreed by both",
           "": "confirmed"},
    "de": {"calendar": "im Kalender der Mentorin/des Mentors angenommen (iMIP REPLY)",
           "reply": "per Antwort auf die Einladung angenommen",
           "counter": "neuer Termin von beiden vereinbart", "": "bestätigt"}}
TOOK_PLACE = {"en": ("took place", "took place, confirmed by one", "took place, confirmed by both"),
              "de": ("fand statt", "fand statt, von einer Seite bestätigt",
                     "fand statt, von beiden bestätigt")}
WORDS = {
    "en": dict(role={"mentee": "Mentee", "mentor": "Mentor"}, meeting="Meeting on",
               minutes="minutes", agreement="Mentoring agreement",
               agreed="agreed period {start} to {end}", planned="{count} meetings agreed",
               hours="Hours of mentoring", description="Took part as {role} in the mentoring "
               "programme {programme}: met regularly with their {partner} under an agreement "
               "both sides signed.",
               criteria="Matched as a pair; a mentoring agreement approved by both sides; "
               "meetings confirmed by calendar and by both sides' feedback; the mentorship "
               "completed with the consent of both sides.",
               partner={"mentee": "mentor", "mentor": "mentee"}),
    "de": dict(role={"mentee": "Mentee", "mentor": "Mentorin/Mentor"}, meeting="Treffen am",
               minutes="Minuten", agreement="Mentoring-Vereinbarung",
               agreed="vereinbarter Zeitraum {start} bis {end}",
               planned="{count} Treffen vereinbart", hours="Stunden Mentoring",
               description="Hat als {role} am Mentoring-Programm {programme} teilgenommen: "
               "regelmäßige Treffen mit {partner} nach einer von beiden unterzeichneten "
               "Vereinbarung.",
               criteria="Als Tandem zusammengebracht; eine von beiden Seiten gebilligte "
               "Mentoring-Vereinbarung; Treffen im Kalender und durch die Rückmeldung beider "
               "bestätigt; das Mentoring mit Zustimmung beider abgeschlossen.",
               partner={"mentee": "der Mentorin/dem Mentor", "mentor": "der/dem Mentee"}),
}


@dataclass(frozen=True)
class MeetingEvidence:
    """One meeting that took place, as the credential names it."""

    day: date  # in the holder's time zone
    minutes: int
    confirmed_via: str  # calendar | reply | counter | "" (not kept)
    confirmed_by: int  # how many sides said in their feedback that it took place: 0, 1, 2


@dataclass(frozen=True)
class CredentialFacts:
    language: str
    code: str  # the certificate's verification code
    issuer_id: str  # the URL of the issuer profile (issuer.json)
    issuer_name: str
    issuer_email: str
    status_url: str  # the revocation list the issuer profile names
    holder_name: str
    holder_email: str
    role: str  # mentee | mentor
    programme: str
    period_from: date
    period_until: date
    agreed_period: tuple[date, date] | None  # the agreement's, if there is one
    meetings_agreed: int | None
    meetings: tuple[MeetingEvidence, ...]
    issued_at: datetime

    @property
    def hours(self) -> float:
        return hours_of(m.minutes for m in self.meetings)


def hours_of(minutes) -> float:
    """Minutes as hours with two decimals: what the certificate, the credential and EXPORT say."""
    return round(sum(minutes) / 60, 2)


def credential_id(issuer_id: str, code: str) -> str:
    """A stable id: the same certificate code of the same issuer always names one credential."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{issuer_id}#{code}')}"


def credential_claims(facts: CredentialFacts) -> dict:
    """The OpenBadgeCredential with the JWT's registered claims beside it."""
    words = WORDS[facts.language]
    valid_from = _moment(facts.issued_at)
    identity = credential_id(facts.issuer_id, facts.code)
    credential = {
        "@context": CONTEXT, "id": identity,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{words['role'][facts.role]} – {facts.programme}",
        "issuer": {"id": facts.issuer_id, "type": ["Profile"], "name": facts.issuer_name,
                   "email": facts.issuer_email},
        "validFrom": valid_from,
        "credentialSubject": _subject(facts, words),
        "evidence": [*(_meeting_evidence(m, facts.language) for m in facts.meetings),
                     *_agreement_evidence(facts, words)],
        "credentialStatus": {"id": facts.status_url, "type": STATUS_TYPE},
    }
    return {**credential, "iss": facts.issuer_id, "nbf": int(facts.issued_at.timestamp()),
            "jti": identity}


def signed_credential(facts: CredentialFacts, key: IssuerKey) -> str:
    return key.sign(credential_claims(facts))


def _subject(facts: CredentialFacts, words: dict) -> dict:
    salt = facts.code
    digest = hashlib.sha256((facts.holder_email.lower() + salt).encode("utf-8")).hexdigest()
    return {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
             "identityHash": f"sha256${digest}", "salt": salt},
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": facts.holder_name}],
        "role": words["role"][facts.role],
        "activityStartDate": _moment(facts.period_from),
        "activityEndDate": _moment(facts.period_until),
        "achievement": _achievement(facts, words),
        "result": [{"type": ["Result"], "resultDescription": HOURS_RESULT,
                    "value": f"{facts.hours:g}"}],
    }


def _achievement(facts: CredentialFacts, words: dict) -> dict:
    role = words["role"][facts.role]
    return {
        "id": f"{facts.issuer_id}#achievement-{facts.role}",
        "type": ["Achievement"], "achievementType": "ext:MentoringProgramme",
        "name": f"{role} – {facts.programme}", "inLanguage": facts.language,
        "description": words["description"].format(role=role, programme=facts.programme,
                                                   partner=words["partner"][facts.role]),
        "criteria": {"narrative": words["criteria"]},
        "resultDescription": [{"id": HOURS_RESULT, "type": ["ResultDescription"],
                               "name": words["hours"], "resultType": "ext:Hours"}],
    }


def _meeting_evidence(meeting: MeetingEvidence, language: str) -> dict:
    words = WORDS[language]
    how = [CONFIRMED[language].get(meeting.confirmed_via, CONFIRMED[language][""]),
           TOOK_PLACE[language][min(meeting.confirmed_by, 2)]]
    return {"type": ["Evidence"], "genre": "Meeting",
            "name": f"{words['meeting']} {meeting.day.isoformat()}",
            "description": f"{meeting.minutes} {words['minutes']}; " + "; ".join(how)}


def _agreement_evidence(facts: CredentialFacts, words: dict) -> list[dict]:
    """The agreement as one evidence entry (none without an agreement)."""
    if facts.agreed_period is None:
        return []
    start, end = facts.agreed_period
    parts = [words["agreed"].format(start=start.isoformat(), end=end.isoformat())]
    if facts.meetings_agreed is not None:
        parts.append(words["planned"].format(count=facts.meetings_agreed))
    return [{"type": ["Evidence"], "genre": "Agreement", "name": words["agreement"],
             "description": "; ".join(parts)}]


def _moment(value: date | datetime) -> str:
    """RFC 3339 in UTC with a Z: what validFrom and the activity dates are written as."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
