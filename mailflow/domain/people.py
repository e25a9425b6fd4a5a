"""Participants: importing and updating them, and their short handles."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..parsers.people_csv import PersonRow
from ..store.models import Person
from . import achievements


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_rows(session: Session, settings: Settings, rows, now: datetime,
                progress=None) -> ImportCounts:
    """Create or update one person per row (keyed by address); importing the same file twice changes
    nothing."""
    counts = ImportCounts()
    for row in rows:
        outcome = upsert(session, settings, row, now)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        if progress is not None:
            progress()
    return counts


def upsert(session: Session, settings: Settings, row: PersonRow, now: datetime) -> str:
    person = session.scalar(select(Person).where(Person.email == row.email))
    if person is None:
        person = new_person(session, settings, email=row.email, name=row.name, role=row.role,
                            now=now)
        _apply(person, row)
        session.flush()
        achievements.record(session, person, "joined", now)
        return "created"
    before = _snapshot(person)
    _apply(person, row)
    return "unchanged" if _snapshot(person) == before else "updated"


def bounces(session: Session, address: str) -> bool:
    """Whether mail to address is known to bounce (we then send nothing there until it works
    again)."""
    bounced_at = session.scalar(select(Person.bounced_at).where(Person.email == address.lower()))
    return bounced_at is not None


def new_person(session: Session, settings: Settings, *, email: str, name: str, role: str,
               now: datetime) -> Person:
    person = Person(email=email.lower(), name=name, role=role, language=settings.language,
                    timezone=settings.timezone, topics=[], capacity=1 if role == "mentor" else 0,
                    about="", created_at=now, bounce_reason="",
                    handle=unique_handle(session, name or email))
    session.add(person)
    return person


def _apply(person: Person, row: PersonRow) -> None:
    person.name, person.role = row.name, row.role
    person.language = row.language or person.language
    person.timezone = row.timezone or person.timezone
    person.topics = list(row.topics) or person.topics
    if row.capacity is not None:
        person.capacity = row.capacity
    person.deleted_at = None


def _snapshot(person: Person) -> tuple:
    return (person.name, person.role, person.language, person.timezone, list(person.topics),
            person.capacity)


def unique_handle(session: Session, name: str) -> str:
    """A short ASCII name (anna-schmidt, anna-schmidt-2) to REQUEST a mentor by."""
    plain = (unicodedata.normalize("NFKD", name.split("@")[0])
             .encode("ascii", "ignore").decode().lower())
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40] or "person"
    taken = set(session.scalars(select(Person.handle).where(Person.handle.like(f"{base}%"))))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
