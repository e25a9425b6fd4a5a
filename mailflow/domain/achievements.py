"""The one catalogue of achievements, and recording them so that the same event never counts
twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Achievement, Person

CATALOGUE: dict[str, dict[str, str]] = {
    "joined": {"en": "Joined the programme", "de": "Dem Programm beigetreten"},
    "matched": {"en": "Mentorship started", "de": "Mentoring begonnen"},
    "agreement_signed": {"en": "Mentoring agreement signed",
                         "de": "Mentoring-Vereinbarung geschlossen"},
    "agreement_amended": {"en": "Mentoring agreement amended",
                          "de": "Mentoring-Vereinbarung angepasst"},
    "meeting_held": {"en": "Meeting held", "de": "Treffen stattgefunden"},
    "first_meeting": {"en": "First meeting", "de": "Erstes Treffen"},
    "fifth_meeting": {"en": "Fifth meeting", "de": "Fünftes Treffen"},
    "feedback_given": {"en": "Feedback given", "de": "Feedback gegeben"},
    "mentorship_completed": {"en": "Mentorship completed", "de": "Mentoring abgeschlossen"},
    "certificate_issued": {"en": "Certificate issued", "de": "Bescheinigung ausgestellt"},
}


def record(session: Session, person: Person, kind: str, now: datetime, *, ref: str = "",
           mentorship_id: int | None = None) -> bool:
    """Record kind for person once per ref; True when it is new."""
    if kind not in CATALOGUE:
        raise ValueError(f"unknown achievement {kind!r}")
    exists = session.scalar(select(Achievement.id).where(
        Achievement.person_id == person.id, Achievement.kind == kind, Achievement.ref == ref))
    if exists:
        return False
    session.add(Achievement(person_id=person.id, kind=kind, ref=ref, mentorship_id=mentorship_id,
                            created_at=now))
    return True


def label(kind: str, language: str) -> str:
    return CATALOGUE[kind][language if language in ("de", "en") else "en"]
