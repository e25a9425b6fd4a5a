"""A decision is taken once, whatever the concurrency: 200 copies of one ACCEPT worked on by two real
worker processes on PostgreSQL accept the request once, send one agreement form, and tell the mentor
once that it was decided already."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mailflow.domain.people import new_person
from mailflow.ingest import Envelope, Ingest
from mailflow.store.models import InboundMessage, Mentorship, OutboundMessage
from mailflow.store.session import Store
from mailflow.tokens import Token, TokenSigner

from .conftest import make_settings
from .support.mails import person_mail
from .support.processes import environment, start, stop, wait_until

COPIES = 200


def requested(store: Store, settings, now) -> tuple[int, int]:
    """A mentee's open request to a mentor; returns (mentorship id, mentor id)."""
    with store.transaction() as session:
        mentee = new_person(session, settings, email="mia@example.org", name="Mia", role="mentee", now=now)
        mentor = new_person(session, settings, email="otto@example.org", name="Otto", role="mentor",
                            now=now)
        mentor.capacity = 3
        session.flush()
        mentorship = Mentorship(mentee_id=mentee.id, mentor_id=mentor.id, state="requested",
                                requested_at=now - timedelta(days=1), request_note="",
                                last_activity_at=now)
        session.add(mentorship)
        session.flush()
        return mentorship.id, mentor.id


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_accept_a_request_once_from_200_racing_copies(tmp_path, database_url, sink, clock):
    settings = make_settings(tmp_path, database_url, relay=sink.url)
    store = Store(database_url)
    mentorship, mentor = requested(store, settings, clock.now())
    env = environment(clock.now(), home=str(tmp_path / "home"), database_url=database_url,
                             domain="mentoring.test", secret=settings.secret, relay=sink.url,
                             coordinators="coord@example.org")
    address = TokenSigner(settings.secret, "mentoring.test").address(
        Token("reply", "request", mentorship, mentor))
    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    workers = [start("worker", env, log) for log in logs]
    wait_until(lambda: all(log.exists() and "worker ready" in log.read_text() for log in logs),
               timeout=60, what="both workers polling")  # so that they race for the copies
    ingest = Ingest(store, clock)
    for number in range(COPIES):
        accept = person_mail("otto@example.org", address, "Re: request", f"ACCEPT\n\ncopy {number}")
        ingest(accept.as_bytes(), Envelope("otto@example.org", (address,), "test"))

    def all_done() -> bool:
        with store.reading() as session:
            return not session.scalar(select(func.count(InboundMessage.id))
                                      .where(InboundMessage.state == "new"))
    try:
        wait_until(all_done, timeout=180, what=f"{COPIES} ACCEPTs processed")
    finally:
        for worker in workers:
            stop(worker)
    with store.reading() as session:
        sent = dict(session.execute(select(OutboundMessage.template, func.count())
                                    .group_by(OutboundMessage.template)).all())
        state = session.get(Mentorship, mentorship).state
        not_done = session.scalar(select(func.count(InboundMessage.id))
                                  .where(InboundMessage.state != "done"))
    store.dispose()
    assert state == "accepted" and not_done == 0
    assert sent.get("agreement_form") == 1 and sent.get("kickoff_guide") == 2
    assert sent.get("already_done") == 1, "the mentor hears once that it was decided"
    shares = [log.read_text().count(" done: ") for log in logs]
    assert min(shares) > 0, f"both workers took part: {shares}"
