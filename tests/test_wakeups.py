"""On PostgreSQL a worker and a dispatcher run apart from serve (another process, another host)
hear of new mail by NOTIFY at once, not at their next poll."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from mailflow.ingest import Envelope

from .support.mails import person_mail
from .support.processes import environment, start, stop, wait_until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
POLL = "600"  # longer than the test may take: only a NOTIFY can wake them in time


def test_a_worker_and_a_dispatcher_run_apart_are_woken_by_notify(app, tmp_path, database_url,
                                                                 sink, clock):
    env = environment(clock.now(), home=str(tmp_path / "apart"), database_url=database_url,
                      domain="mentoring.test", secret="s3cret", relay=sink.url,
                      poll_seconds=POLL)
    # the worker first: its answers are due by its clock, which the dispatcher's, started later
    # from the same MAILFLOW_NOW and MAILFLOW_NOW_SINCE, must agree with
    parts = [start("worker", env, tmp_path / "worker.log")]
    try:
        wait_until(lambda: listening(app, "mailflow_stored"), timeout=30,
                   what="the worker to listen")
        parts.append(start("dispatch", env, tmp_path / "dispatch.log"))
        wait_until(lambda: listening(app, "mailflow_queued"), timeout=30,
                   what="the dispatcher to listen")
        for number in range(2):
            # the first is found by the parts' first look or by NOTIFY, whichever comes first;
            # the second comes when both have gone idle after it, for POLL seconds
            sender = f"apart{number}@example.org"
            mail = person_mail(sender, "hello@mentoring.test", "HELP", "").as_bytes()
            app.ingest.store_all([(mail, Envelope(sender, ("hello@mentoring.test",), "smtp"))])
            received = sink.wait_for(number + 1, timeout=30)
            assert received[-1].rcpt_tos == (sender,)
    finally:
        for part in parts:
            stop(part)


def listening(app, channel: str) -> bool:
    """Whether some session of the database last said LISTEN channel (its listener is set up)."""
    with app.store.reading() as session:
        return bool(session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE query = :q"),
                                   {"q": f"LISTEN {channel}"}))
