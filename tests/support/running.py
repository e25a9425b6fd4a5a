"""A running mentorship set straight into the store (request, acceptance and agreement are tested elsewhere), with
meetings that took place, for the scenarios of its later stages: closing, profile, topics, privacy."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from pypdf import PdfReader

from mailflow.app import App
from mailflow.domain import achievements
from mailflow.domain.people import new_person
from mailflow.store.models import AgreementVersion, Meeting, Mentorship

MENTEE, MENTOR = "zoe@example.org", "minh@example.org"
MENTEE_NAME, MENTOR_NAME = "Zoë Łukasiewicz-Öztürk", "Nguyễn Thị Minh Khai"
HELLO = "hello@mentoring.test"


def running_mentorship(app: App, *, lang: str = "en", meetings: int = 3, mentor_lang: str | None = None) -> int:
    """An active mentorship (agreement approved 2026-09-01, meetings held before now); returns its id."""
    now = app.clock.now()
    start = datetime(2026, 9, 1, 10, 0, tzinfo=timezone.utc)
    with app.store.transaction() as session:
        mentee = new_person(session, app.settings, email=MENTEE, name=MENTEE_NAME, role="mentee", now=start)
        mentor = new_person(session, app.settings, email=MENTOR, name=MENTOR_NAME, role="mentor", now=start)
        mentee.language, mentor.language = lang, mentor_lang or lang
        mentee.topics, mentee.about = ["Career planning"], "Engineer in Kraków, loves chess"
        session.flush()
        mentorship = Mentorship(mentee_id=mentee.id, mentor_id=mentor.id, state="active",
                                request_note="I would like to grow as Zoë the team lead", requested_at=start,
                                answered_at=start, activated_at=start, last_activity_at=now)
        session.add(mentorship)
        session.flush()
        session.add(AgreementVersion(
            mentorship_id=mentorship.id, version=1, period_from=date(2026, 9, 1), period_until=date(2027, 2, 28),
            meetings=6, contact_kind="Video", contact_frequency="every two weeks",
            topics=["Career plan", "Presenting", "Networking"], proposed_by_id=mentee.id, proposed_at=start,
            state="approved", approved_by_id=mentor.id, approved_at=start, comment=""))
        for number in range(meetings):
            begins = start + timedelta(days=14 * (number + 1))
            session.add(Meeting(mentorship_id=mentorship.id, uid=f"m{number}-{mentorship.id}@test", sequence=0,
                                starts_at=begins, ends_at=begins + timedelta(hours=1), tzid="Europe/Berlin",
                                place="Café Złota", topic=f"Topic {number + 1}", closing=number == meetings - 1,
                                state="confirmed", created_at=start, proposed_by_id=mentee.id))
        for person in (mentee, mentor):
            achievements.record(session, person, "joined", start)
            achievements.record(session, person, "matched", start, ref=f"m{mentorship.id}",
                                mentorship_id=mentorship.id)
        return mentorship.id


def pdf_text(payload: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(payload)).pages)


def pdfs_of(mail) -> list[bytes]:
    return [p.get_content() for p in mail.message.iter_attachments() if p.get_content_type() == "application/pdf"]
