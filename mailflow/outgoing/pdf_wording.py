"""Every fixed word of the certificate and the agreement, in German and in English.

Kept apart from the drawing so that a translator finds all of a document's words in one place,
and so that both documents write a day the same way (as our mails do).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Wording:
    """Every fixed word of both documents, in one language."""

    months: tuple[str, ...]
    certificate_title: str
    certify_intro: str
    took_part: str  # {role}, {start}, {end}, {programme}
    role_names: dict[str, str]
    partner_labels: dict[str, str]  # keyed by the holder's role: names the partner's role
    period: str
    meetings_held: str
    meeting_dates: str
    hours: str
    topics: str
    issued_on: str
    code: str
    how_to_verify: str  # {command}, {address}
    unsigned_note: str
    credential_note: str
    agreement_title: str
    version: str
    mentee: str
    mentor: str
    period_from: str
    period_until: str
    number_of_meetings: str
    contact_kind: str
    contact_frequency: str
    topic_plan: str
    approved: str  # {day}
    not_approved: str
    created_at: str  # {moment}

    def day(self, day: date) -> str:
        month = self.months[day.month - 1]
        if self is GERMAN:
            return f"{day.day}. {month} {day.year}"
        return f"{day.day} {month} {day.year}"

    def short_day(self, day: date) -> str:
        """As in our mails: 3.2.2025 for German readers, 2025-02-03 for everyone else."""
        return f"{day.day}.{day.month}.{day.year}" if self is GERMAN else day.isoformat()


GERMAN = Wording(
    months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
            "Oktober", "November", "Dezember"),
    certificate_title="Teilnahmebescheinigung",
    certify_intro="Hiermit wird bestätigt, dass",
    took_part=("vom {start} bis {end} als {role} am Mentoring-Programm „{programme}“ "
               "teilgenommen hat."),
    role_names={"mentee": "Mentee", "mentor": "Mentorin bzw. Mentor"},
    partner_labels={"mentee": "Mentorin/Mentor", "mentor": "Mentee"},
    period="Zeitraum",
    meetings_held="Anzahl der Treffen",
    meeting_dates="Termine",
    hours="Stunden",
    topics="Themen",
    issued_on="Ausgestellt am",
    code="Prüfcode",
    how_to_verify="Echtheit prüfen: eine E-Mail mit „{command}“ an {address} senden.",
    unsigned_note="Diese Bescheinigung wurde maschinell erstellt und ist ohne Unterschrift gültig.",
    credential_note=("Der QR-Code führt zur Prüfung. Beigefügt ist ein signierter Open-Badges-3.0-"
                     "Nachweis (credential.jwt), prüfbar mit dem öffentlichen Schlüssel des "
                     "Programms (SCHLÜSSEL an {address})."),
    agreement_title="Mentoring-Vereinbarung",
    version="Fassung",
    mentee="Mentee",
    mentor="Mentorin/Mentor",
    period_from="Zeitraum von",
    period_until="Zeitraum bis",
    number_of_meetings="Anzahl der Treffen",
    contact_kind="Art der Kontaktaufnahme",
    contact_frequency="Häufigkeit der Kontaktaufnahme",
    topic_plan="Themenplan",
    approved="Beide Seiten haben am {day} zugestimmt.",
    not_approved="Entwurf: Noch haben nicht beide Seiten zugestimmt.",
    created_at="Diese Fassung wurde am {moment} erstellt.",
)

ENGLISH = Wording(
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December"),
    certificate_title="Certificate of Participation",
    certify_intro="This is to certify that",
    took_part=("took part in the mentoring programme “{programme}” as a {role} "
               "from {start} to {end}."),
    role_names={"mentee": "mentee", "mentor": "mentor"},
    partner_labels={"mentee": "Mentor", "mentor": "Mentee"},
    period="Period",
    meetings_held="Number of meetings",
    meeting_dates="Meeting dates",
    hours="Hours",
    topics="Topics",
    issued_on="Issued on",
    code="Verification code",
    how_to_verify="To verify, send an email with “{command}” to {address}.",
    unsigned_note="This certificate was issued automatically and is valid without a signature.",
    credential_note=("The QR code leads to the check. Attached is a signed Open Badges 3.0 "
                     "credential (credential.jwt), verifiable with the programme's public key "
                     "(send KEY to {address})."),
    agreement_title="Mentoring Agreement",
    version="Version",
    mentee="Mentee",
    mentor="Mentor",
    period_from="Period from",
    period_until="Period until",
    number_of_meetings="Number of meetings",
    contact_kind="Kind of contact",
    contact_frequency="Frequency of contact",
    topic_plan="Topic plan",
    approved="Both sides approved on {day}.",
    not_approved="Draft: not yet approved by both sides.",
    created_at="This version was created on {moment}.",
)

WORDINGS = {"de": GERMAN, "en": ENGLISH}


def wording_for(language: str) -> Wording:
    try:
        return WORDINGS[language]
    except KeyError:
        known = sorted(WORDINGS)
        raise ValueError(f"no wording for language {language!r}; known: {known}") from None
