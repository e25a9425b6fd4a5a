"""Batch matching at scale: 3,000 generated mentees and 3,000 mentor places (1,500 mentors with two
places each, topics, languages and time zones drawn at random), proposed by the same code PROPOSE
runs (domain/matching.best_assignment), on a SQLite file. Prints the figures; asserts nothing.
The issue's goal: under 60 s on this machine.

    python bench/matching.py [--mentees 3000] [--places 3000]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailflow.domain.matching import best_assignment  # noqa: E402
from mailflow.store.migrations import upgrade  # noqa: E402
from mailflow.store.models import Person, Proposal, ProposalLine  # noqa: E402
from mailflow.store.session import Store  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
TOPICS = [f"Topic {n}" for n in range(40)]
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
         "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Africa/Lagos")


def people(mentees: int, places: int) -> list[dict]:
    rng = random.Random(16)
    rows = [dict(email=f"mentee{i}@example.org", name=f"Mentee {i}", role="mentee",
                 handle=f"mentee-{i}", capacity=0, topics=rng.sample(TOPICS, 3))
            for i in range(mentees)]
    rows += [dict(email=f"mentor{i}@example.org", name=f"Mentor {i}", role="mentor",
                  handle=f"mentor-{i}", capacity=2, topics=rng.sample(TOPICS, 5))
             for i in range(places // 2)]
    for row in rows:
        row.update(language=rng.choice(("de", "en")), timezone=rng.choice(ZONES), about="",
                   created_at=NOW, bounce_reason="")
    return rows


def _store(session, fits) -> None:
    """The lines as PROPOSE keeps them."""
    proposal = Proposal(created_at=NOW, requested_by="bench@example.org")
    session.add(proposal)
    session.flush()
    session.add_all(ProposalLine(proposal_id=proposal.id, number=n, mentee_id=f.mentee.id,
                                 mentor_id=f.mentor.id, score=f.score, explanation=f.explanation())
                    for n, f in enumerate(fits, start=1))
    session.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=3000)
    parser.add_argument("--places", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/matching.sqlite3"
        upgrade(url)
        store = Store(url)
        with store.transaction() as session:
            session.execute(insert(Person), people(args.mentees, args.places))
        started = time.perf_counter()
        with store.transaction() as session:
            fits, left = best_assignment(session, NOW)
            took = time.perf_counter() - started
            _store(session, fits)
            total = sum(f.score for f in fits)
            shared = sum(len(f.shared) for f in fits) / max(1, len(fits))
        stored = time.perf_counter() - started - took
        store.dispose()
    print(f"{args.mentees} mentees x {args.places} mentor places: proposed in {took:.1f} s, "
          f"its lines stored in {stored:.1f} s more (goal: under 60 s)")
    print(f"  {len(fits)} pairs, {len(left)} mentees without a place; total score {total:g}, "
          f"{shared:.2f} shared topics per pair on average")


if __name__ == "__main__":
    main()
