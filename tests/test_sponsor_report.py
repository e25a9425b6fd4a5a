"""The sponsor report through the real SMTP receiver: REPORT <from> <until> (BERICHT … NAMEN) from a
coordinator answers with a CSV, read back with csv, and a one-page PDF, read back with pypdf; the
figures equal a count over the store made here in plain Python; no name appears unless NAMES."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mailflow.domain.people import new_person
from mailflow.store.models import Feedback, Meeting, Mentorship, PulseCheck

from .support.conversation import Conversation, one_to

COORDINATOR, COORDINATORS = "coord@example.org", "coordinators@mentoring.test"
FIRST, LAST = date(2026, 9, 1), date(2026, 11, 30)
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# (state, answered_at, completed_at, request_closed_as) per mentorship
PAIRS = [
    ("completed", utc(2026, 8, 15), utc(2026, 10, 15), ""),   # active, completed in the period
    ("active", utc(2026, 9, 10), None, ""),                    # started in the period
    ("completed", utc(2026, 7, 1), utc(2026, 8, 20), ""),     # over before the period
    ("declined", utc(2026, 11, 15), None, "expired"),
    ("declined", utc(2026, 10, 1), None, "declined"),
    ("accepted", utc(2026, 11, 20), None, ""),                 # started in the period
    ("accepted", utc(2026, 11, 30, 23, 30), None, ""),  # 0:30 on 1 December in Berlin
]
# (pair index, start, minutes, state, rating)
MEETINGS = [
    (0, utc(2026, 9, 20, 10), 60, "confirmed", 4), (0, utc(2026, 10, 5, 10), 90, "confirmed", 5),
    (1, utc(2026, 11, 2, 16), 45, "confirmed", 3), (1, utc(2026, 12, 5, 16), 60, "confirmed", None),
    (2, utc(2026, 8, 10, 10), 60, "confirmed", 1),
    (1, utc(2026, 10, 12, 16), 60, "cancelled", None),
]
# (pair index, answered_at, score) of pulse questions; None: asked, not answered
PULSES = [(0, utc(2026, 9, 14), 2), (0, utc(2026, 11, 13), 5), (1, utc(2026, 10, 10), 4),
          (2, utc(2026, 8, 1), 1), (1, None, None)]


def programme(app) -> None:
    start = utc(2026, 6, 1)
    with app.store.transaction() as session:
        mentors = [new_person(session, app.settings, email=f"mentor{n}@example.org",
                              name=f"Mentorin Nummer{n}", role="mentor", now=start)
                   for n in range(3)]
        mentees = [new_person(session, app.settings, email=f"mentee{n}@example.org",
                              name=f"Mentee Zweitname{n}", role="mentee", now=start)
                   for n in range(len(PAIRS))]
        session.flush()
        pairs = []
        for n, (state, answered, completed, closed) in enumerate(PAIRS):
            pairs.append(Mentorship(
                mentee_id=mentees[n].id, mentor_id=mentors[n % 3].id, state=state,
                requested_at=answered - timedelta(days=3), answered_at=answered,
                activated_at=answered if state in ("active", "completed") else None,
                completed_at=completed, request_closed_as=closed, last_activity_at=answered))
        session.add_all(pairs)
        session.flush()
        for number, (pair, begins, minutes, state, rating) in enumerate(MEETINGS):
            meeting = Meeting(mentorship_id=pairs[pair].id, uid=f"r{number}@test", starts_at=begins,
                              ends_at=begins + timedelta(minutes=minutes), tzid="Europe/Berlin",
                              state=state, created_at=start)
            session.add(meeting)
            session.flush()
            if rating is not None:
                session.add(Feedback(meeting_id=meeting.id, person_id=pairs[pair].mentee_id,
                                     took_place=True, rating=rating, created_at=meeting.ends_at))
        for period, (pair, answered, score) in enumerate(PULSES):
            session.add(PulseCheck(mentorship_id=pairs[pair].id, person_id=pairs[pair].mentee_id,
                                   period=period, asked_at=start, score=score,
                                   answered_at=answered))


def counted_over_the_store(app) -> dict[str, str]:
    """The report's figures, counted here from every row by the definitions in the README."""
    start = datetime.combine(FIRST, datetime.min.time(), BERLIN)
    end = datetime.combine(LAST + timedelta(days=1), datetime.min.time(), BERLIN)
    now = app.clock.now()
    with app.store.reading() as session:
        pairs = [_plain(m, ("state", "answered_at", "completed_at", "request_closed_as"))
                 for m in session.scalars(select(Mentorship))]
        meetings = [_plain(m, ("id", "state", "starts_at", "ends_at"))
                    for m in session.scalars(select(Meeting))]
        ratings = {f.meeting_id: f.rating for f in session.scalars(select(Feedback))}
        pulses = [(p.answered_at, p.score) for p in session.scalars(select(PulseCheck))]
    within = lambda moment: moment is not None and start <= moment < end  # noqa: E731
    active = [m for m in pairs if m.state not in ("declined", "requested")
              and m.answered_at < end and (m.completed_at is None or m.completed_at >= start)]
    held = [m for m in meetings if m.state == "confirmed" and start <= m.ends_at <= min(end, now)]
    completed = sum(within(m.completed_at) for m in pairs)
    rated = [ratings[m.id] for m in held if m.id in ratings]
    hours = sum((m.ends_at - m.starts_at).total_seconds() for m in held) / 3600
    pulse = [score for answered, score in pulses if within(answered) and score is not None]
    return {"started": str(sum(within(m.answered_at) and m.state != "declined" for m in pairs)),
            "active": str(len(active)), "completed": str(completed),
            "meetings_held": str(len(held)), "hours": f"{hours:g}",
            "rating": f"{round(sum(rated) / len(rated), 2):g}",
            "pulse": f"{round(sum(pulse) / len(pulse), 1):g}",
            "completion_rate": f"{round(100 * completed / len(active), 1):g}",
            "declines": str(sum(m.request_closed_as == "declined" and within(m.answered_at)
                                for m in pairs)),
            "expiries": str(sum(m.request_closed_as == "expired" and within(m.answered_at)
                                for m in pairs))}


def _plain(row, names: tuple[str, ...]) -> SimpleNamespace:
    return SimpleNamespace(**{name: getattr(row, name) for name in names})


def attachments(mail) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True)
            for part in mail.message.iter_attachments()}


def pdf_text(payload: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(payload))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


def test_report_figures_equal_a_count_over_the_store_and_name_nobody(app, sink, receiver):
    talk = Conversation(app, sink, smtp_port=receiver)
    programme(app)
    typed = "REPORT 2026-09-01 2026-11-30"
    answer = one_to(talk.write(COORDINATOR, COORDINATORS, typed, typed), COORDINATOR)
    files = attachments(answer)
    assert sorted(files) == ["report-2026-09-01-2026-11-30.csv", "report-2026-09-01-2026-11-30.pdf"]
    rows = list(csv.DictReader(io.StringIO(files["report-2026-09-01-2026-11-30.csv"].decode())))
    shown = {row["figure"]: row["value"] for row in rows}
    expected = counted_over_the_store(app)
    assert shown == expected
    assert expected == {"started": "2", "active": "3", "completed": "1", "meetings_held": "3",
                        "hours": "3.25", "rating": "4", "pulse": "3.7", "completion_rate": "33.3",
                        "declines": "1", "expiries": "1"}, "the scenario is the one meant"

    pages, text = pdf_text(files["report-2026-09-01-2026-11-30.pdf"])
    assert pages == 1
    assert "Programme report" in text and "Pairs completed" in text and "33.3 %" in text
    assert "Hours" in text and "3.25" in text
    for said in (text, answer.text(), *(p.decode() for n, p in files.items() if n.endswith("csv"))):
        assert "Zweitname" not in said and "Nummer" not in said, "no names without NAMES"


@pytest.mark.parametrize("typed", ["BERICHT 1.9.2026 30.11.2026 NAMEN"])
def test_report_with_names_lists_the_pairs(app, sink, receiver, typed):
    talk = Conversation(app, sink, smtp_port=receiver)
    programme(app)
    answer = one_to(talk.write(COORDINATOR, COORDINATORS, typed, typed), COORDINATOR)
    assert str(answer.message["Subject"]) == "Programmbericht 1.9.2026 – 30.11.2026 (mit Namen)"
    files = attachments(answer)
    figures = csv.DictReader(io.StringIO(files["report-2026-09-01-2026-11-30.csv"].decode()))
    assert {row["figure"]: row["value"] for row in figures} == counted_over_the_store(app)
    pairs = list(csv.DictReader(io.StringIO(
        files["report-2026-09-01-2026-11-30-pairs.csv"].decode())))
    assert [(p["mentee"], p["mentor"], p["meetings_held"], p["hours"]) for p in pairs] == [
        ("Mentee Zweitname0", "Mentorin Nummer0", "2", "2.5"),
        ("Mentee Zweitname1", "Mentorin Nummer1", "1", "0.75"),
        ("Mentee Zweitname5", "Mentorin Nummer2", "0", "0")]
    pages, text = pdf_text(files["report-2026-09-01-2026-11-30.pdf"])
    assert pages == 1 and "Programmbericht" in text and "Abschlussquote" in text
    assert "Mentee Zweitname5" in text


def test_a_report_without_a_period_is_answered_with_how(app, sink, receiver):
    talk = Conversation(app, sink, smtp_port=receiver)
    answer = one_to(talk.write(COORDINATOR, COORDINATORS, "REPORT", "REPORT 2026-12-01 2026-01-01"),
                    COORDINATOR)
    assert '"2026-12-01 2026-01-01" is not a period' in answer.text()
    assert list(answer.message.iter_attachments()) == []
