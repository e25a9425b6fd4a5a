"""`run.py status` as an operator or a health check runs it (a real process on the service's
database): it shows what is waiting, failed, bouncing and when each job last ran, and its exit code
says whether something needs attention."""
from __future__ import annotations

from datetime import timedelta

from mailflow import routing
from mailflow.jobs import scheduler as jobs
from mailflow.parsers.commands import Keyword
from mailflow.store.migrations import head_revision
from mailflow.store.models import Person

from .support.mails import add_person, person_mail, process, smtp_send, store_mail
from .support.processes import environment, run
from .test_failures_and_sending import explode


def status(app, tmp_path, now) -> tuple[int, str]:
    env = environment(now, home=str(tmp_path / "cli"), database_url=app.settings.database_url,
                      secret="s")
    done = run("status", env=env)
    assert done.stderr == "", done.stderr
    return done.returncode, done.stdout


def test_a_failed_mail_is_shown_and_fails_the_health_check(app, sink, clock, tmp_path,
                                                           monkeypatch):
    monkeypatch.setitem(routing.HELLO, Keyword.PROFILE, explode)  # a flow with a bug
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "PROFILE", ""))
    for _ in range(3):
        process(app)
        clock.advance(timedelta(hours=1))

    code, shown = status(app, tmp_path, clock.now())
    assert code == 1
    assert "inbound:  0 waiting, 1 failed" in shown
    assert "#1 from ann@example.org after 3 attempts: RuntimeError: a bug in a flow" in shown
    assert "attention: 1 received mail(s) failed: fix the cause, then `run.py retry`" in shown


def test_a_healthy_store_passes_and_shows_jobs_and_bouncing_addresses(app, sink, clock, tmp_path):
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "HELP", ""))
    process(app)
    jobs.run_due(app, clock.now())  # the day's digest
    app.dispatcher.drain()
    add_person(app, "gone@example.org")
    with app.store.transaction() as session:
        gone = session.query(Person).filter_by(email="gone@example.org").one()
        gone.bounced_at, gone.bounce_reason = clock.now(), "550 5.1.1 no such user"

    code, shown = status(app, tmp_path, clock.now() + timedelta(minutes=5))
    assert code == 0, shown
    assert f"schema:   {head_revision()} (newest)" in shown
    assert "inbound:  0 waiting, 0 failed" in shown and "outbox:   0 pending, 0 failed" in shown
    assert "digest 2026-12-01 09:00 UTC" in shown
    assert "bouncing: 1 address(es)" in shown
    assert "gone@example.org since 2026-12-01 09:00 UTC: 550 5.1.1 no such user" in shown
    assert shown.rstrip().endswith("all well")


def test_mail_not_sent_for_over_an_hour_fails_the_health_check(app, sink, clock, tmp_path):
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "HELP", ""))
    app.worker.drain()  # answered, but no dispatcher runs

    assert status(app, tmp_path, clock.now() + timedelta(minutes=10))[0] == 0
    code, shown = status(app, tmp_path, clock.now() + timedelta(hours=2))
    assert code == 1
    assert "outbox:   1 pending (oldest 2 h), 0 failed" in shown
    assert "attention: 1 outgoing mail(s) waiting for over 1 h" in shown


def test_mail_taken_by_smtp_and_not_handled_for_over_an_hour_fails_the_health_check(
        app, receiver, clock, tmp_path):
    for sender in ("ann@example.org", "bob@example.org"):
        smtp_send(receiver, person_mail(sender, "hello@mentoring.test", "HELP", ""), sender,
                  ["hello@mentoring.test"])  # no worker runs: on SQLite it waits in the spool

    code, shown = status(app, tmp_path, clock.now() + timedelta(minutes=10))
    assert code == 0, shown
    assert "inbound:  2 waiting (oldest 10 min), 0 failed" in shown
    code, shown = status(app, tmp_path, clock.now() + timedelta(hours=2))
    assert code == 1
    assert "attention: 2 received mail(s) due for over 1 h: are the workers running?" in shown
