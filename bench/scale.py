"""Scale of the scheduled work: 10,000 generated mentorships; the time and query count of building the digest
and of a `jobs --once` pass with nothing due, on SQLite and PostgreSQL. Prints the figures; asserts nothing.

    python bench/scale.py [--mentorships 10000] [--db sqlite|postgresql|both]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailflow.app import build_app  # noqa: E402
from mailflow.clock import FixedClock  # noqa: E402
from mailflow.config import load_settings  # noqa: E402
from mailflow.jobs import digest
from mailflow.jobs import scheduler as jobs  # noqa: E402
from mailflow.store.migrations import upgrade  # noqa: E402
from mailflow.store.models import AgreementVersion, Meeting, Mentorship, Person  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
POSTGRES_ADMIN_URL = os.environ.get("MAILFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def generate(app, count: int) -> None:
    """count mentorships in a realistic mix, none of them due for a reminder or a check-in at NOW."""
    rng = random.Random(7)
    people = [dict(email=f"mentee{i}@example.org", name=f"Mentee {i}", role="mentee", handle=f"mentee-{i}")
              for i in range(count)]
    people += [dict(email=f"mentor{i}@example.org", name=f"Mentor {i}", role="mentor", handle=f"mentor-{i}")
               for i in range(count // 2)]
    for p in people:
        p.update(language="en", timezone="Europe/Berlin", topics=[], capacity=2, about="", created_at=NOW,
                 bounce_reason="")
    states = ["active"] * 6 + ["requested", "accepted", "completed", "declined"]
    mentorships, meetings, agreements = [], [], []
    for i in range(count):
        state = rng.choice(states)
        started = NOW - timedelta(days=rng.randint(30, 200))
        mentorships.append(dict(
            mentee_id=i + 1, mentor_id=count + 1 + i // 2, state=state, request_note="",
            requested_at=NOW - timedelta(hours=rng.randint(1, 40)) if state == "requested" else started,
            answered_at=started if state != "requested" else None,
            activated_at=started if state in ("active", "completed") else None,
            completed_at=NOW - timedelta(days=rng.randint(0, 20)) if state == "completed" else None,
            last_activity_at=NOW - timedelta(days=rng.randint(0, 20))))
        if state == "active":  # an approved agreement the meetings keep to: the deviation check reads them all
            agreements.append(dict(mentorship_id=i + 1, version=1, period_from=(NOW - timedelta(days=200)).date(),
                                   period_until=(NOW + timedelta(days=200)).date(), meetings=6, contact_kind="Video",
                                   contact_frequency="monthly", topics=["Career"], proposed_by_id=i + 1,
                                   proposed_at=started, state="approved", approved_by_id=count + 1 + i // 2,
                                   approved_at=started, comment=""))
            for n in range(2):
                start = NOW - timedelta(days=rng.randint(-10, 80))
                meetings.append(dict(mentorship_id=i + 1, uid=f"{uuid.uuid4()}@bench", sequence=0, starts_at=start,
                                     ends_at=start + timedelta(hours=1), tzid="Europe/Berlin", place="", topic="",
                                     closing=False, state="confirmed", created_at=start,
                                     feedback_requested_at=start + timedelta(hours=2) if start < NOW else None))
    with app.store.transaction() as session:
        session.execute(insert(Person), people)
        session.execute(insert(Mentorship), mentorships)
        session.execute(insert(Meeting), meetings)
        session.execute(insert(AgreementVersion), agreements)


def counted(app, action):
    """(seconds, queries) of action()."""
    queries = []
    listener = lambda *args: queries.append(1)  # noqa: E731
    event.listen(app.store.engine, "before_cursor_execute", listener)
    try:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started, len(queries)
    finally:
        event.remove(app.store.engine, "before_cursor_execute", listener)


def run(kind: str, url: str, count: int, home: Path) -> None:
    upgrade(url)
    settings = load_settings({"MAILFLOW_HOME": str(home), "MAILFLOW_DATABASE_URL": url,
                              "MAILFLOW_SECRET": "bench", "MAILFLOW_COORDINATORS": "coord@example.org",
                              "MAILFLOW_DOMAIN": "mentoring.test"}, toml_path=home / "none.toml")
    app = build_app(settings, FixedClock(NOW), migrate=False)
    generated = time.perf_counter()
    generate(app, count)
    print(f"{kind}: generated {count} mentorships in {time.perf_counter() - generated:.1f} s")
    first = jobs.run_due(app, NOW)  # today's digest goes out here
    print(f"{kind}: first pass {first}")

    def build() -> None:
        with app.store.reading() as session:
            digest.build(session, app.settings, app.signer, NOW)

    seconds, queries = counted(app, build)
    print(f"{kind}: digest build          {seconds * 1000:7.0f} ms  {queries:3d} queries")
    seconds, queries = counted(app, lambda: digest.chart_png(_chart(app)))
    print(f"{kind}: chart PNG             {seconds * 1000:7.0f} ms  {queries:3d} queries")
    seconds, queries = counted(app, lambda: _assert_idle(jobs.run_due(app, NOW)))
    print(f"{kind}: jobs --once, nothing due {seconds * 1000:4.0f} ms  {queries:3d} queries")
    app.store.dispose()


def _chart(app):
    with app.store.reading() as session:
        return digest._chart(session, NOW)


def _assert_idle(results: dict) -> None:
    if any(results.values()):
        raise SystemExit(f"expected nothing due, got {results}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentorships", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        if args.db in ("sqlite", "both"):
            run("SQLite", f"sqlite:///{home / 'bench.sqlite3'}", args.mentorships, home)
        if args.db in ("postgresql", "both"):
            name = f"mailflow_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run("PostgreSQL", POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, args.mentorships, home)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
