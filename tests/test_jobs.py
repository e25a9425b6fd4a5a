"""A programme driven through time with jobs.run_due: reminders after 3 and 7 days, then the coordinators; the
approval reminder; the inactivity check-in at most once per period; the daily digest once a day; nothing twice."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from mailflow.jobs import scheduler as jobs
from mailflow.store.models import JobRun, Mentorship, OutboundMessage

from .support.conversation import Conversation
from .support.conversation import jobs_at as at
from .support.conversation import one_to
from .support.mails import process
from .support.ports import free_port
from .support.processes import environment, run, start, stop, wait_for_port, wait_until
from .test_crash_and_scale import serve_env
from .test_joining_to_agreement import HELLO, MENTEE, MENTOR, WORDS, filled_form, imported, link_in

COORDINATOR = "coord@example.org"
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)



def subjects(mails) -> list[tuple[str, str]]:
    return sorted((m.rcpt_tos[0], str(m.message["Subject"]).strip()) for m in mails)


def requested(talk: Conversation, words: dict) -> None:
    listing = one_to(talk.write(MENTEE, HELLO, words["mentors"], ""), MENTEE)
    address = link_in(listing.text(), f"{words['request']} otto-mentor")
    talk.write(MENTEE, address, f"{words['request']} otto-mentor", f"{words['request']} otto-mentor")


def test_a_programme_through_time_gets_each_mail_once(app, sink, clock):
    words, talk = WORDS["en"], Conversation(app, sink)
    imported(app, "en")
    requested(talk, words)
    digest = "Mentoring Test: Tagesübersicht"  # the coordinators' language is MAILFLOW_LANGUAGE (de)

    first = at(talk, clock, START)  # 10:00 in Berlin: the day's digest is due
    assert subjects(first) == [(COORDINATOR, f"{digest} 1.12.2026 – 1 Punkt braucht Aufmerksamkeit")]
    assert subjects(at(talk, clock, START + timedelta(days=2))) == [
        (COORDINATOR, f"{digest} 3.12.2026 – 1 Punkt braucht Aufmerksamkeit")], "the next day's digest only"
    reminder = at(talk, clock, START + timedelta(days=3))
    assert subjects(reminder) == [(COORDINATOR, f"{digest} 4.12.2026 – 1 Punkt braucht Aufmerksamkeit"),
                                  (MENTOR, "Reminder: Mia Mentee is waiting for your answer")]
    second = at(talk, clock, START + timedelta(days=7))
    assert (MENTOR, "Reminder: Mia Mentee is waiting for your answer") in subjects(second)
    assert "coordinators will be told" in one_to(second, MENTOR).text()
    told = at(talk, clock, START + timedelta(days=10))
    overdue = one_to([m for m in told if "Seit über 10 Tagen" in str(m.message["Subject"])], COORDINATOR)
    assert "Otto Mentor hat die Anfrage von Mia Mentee nicht beantwortet" in overdue.text()
    assert "mailto:reply+coord." in overdue.text() and "subject=ERINNERN%201" in overdue.text()
    assert [m for m in told if m.rcpt_tos == (MENTOR,)] == []

    # Otto answers the reminder itself: the links in it work like the request's.
    answered = talk.reply(one_to(reminder, MENTOR), MENTOR, "ACCEPT")
    form = [m for m in answered if m.rcpt_tos == (MENTEE,) and "Period from" in m.text()][0]
    one_to(talk.reply(form, MENTEE, filled_form(words, "2026-12-14", "2027-06-30", "6", ["Career"])),
                      MENTOR)
    later = START + timedelta(days=11)
    clock.set(later)
    remind_approval = at(talk, clock, later + timedelta(days=3))
    assert (MENTOR, "Reminder: please approve the mentoring agreement (version 1)") in subjects(remind_approval)
    talk.reply(one_to(remind_approval, MENTOR), MENTOR, "APPROVE")
    with app.store.transaction() as session:
        assert session.scalar(select(Mentorship.state)) == "active"
        approved_at = session.scalar(select(Mentorship.last_activity_at))

    quiet = approved_at + timedelta(days=28, hours=1)
    nudged = at(talk, clock, quiet)
    checkins = [m for m in nudged if "How is your mentoring" in str(m.message["Subject"])]
    assert sorted(m.rcpt_tos[0] for m in checkins) == [MENTEE, MENTOR]
    later = [m for m in at(talk, clock, quiet + timedelta(days=5))
             if "reply+pulse." not in str(m.message["Reply-To"] or "")]  # 30 days after approval
    assert [m.rcpt_tos for m in later] == [(COORDINATOR,)], "digest only (besides the pulse)"
    again = at(talk, clock, quiet + timedelta(days=29))
    assert len([m for m in again if "How is your mentoring" in str(m.message["Subject"])]) == 2, \
        "once per period: after another 28 quiet days, the next check-in"

    answer = talk.reply(one_to(again, MENTEE), MENTEE, "It goes well, we met twice.")
    passed = one_to(answer, COORDINATOR)
    assert "It goes well, we met twice." in passed.text() and "Mentoring 1 geantwortet" in passed.text()
    assert "Thank you" in str(one_to(answer, MENTEE).message["Subject"])
    with app.store.transaction() as session:
        assert session.scalar(select(func.count(JobRun.id)).where(JobRun.job == "reminders")) == 4


def test_a_pass_waits_for_the_running_one_then_runs_its_own(app):
    holder = jobs.SchedulerLock(app)
    assert holder.acquire()
    try:
        assert not jobs.SchedulerLock(app).acquire(), "two passes at once"
        with pytest.raises(jobs.SchedulerBusy):
            jobs.run_due(app, START, wait=0.5)
        threading.Timer(0.5, holder.release).start()  # the running pass ends
        assert jobs.run_due(app, START, wait=30)["digest"] == 1
        assert not holder.held, "ran only after the other pass had let go"
    finally:
        holder.release()


def reminders_to_mentor(sink) -> list:
    return [m for m in sink.received
            if m.rcpt_tos == (MENTOR,) and "Reminder" in str(m.message["Subject"])]


def test_jobs_once_beside_a_running_serve_sends_the_due_reminder_once(app, sink, clock, tmp_path):
    """The operator's `run.py jobs --once --now …` while `run.py serve` runs: serve's scheduler
    holds the lock only for its passes, so --once gets its turn; serve's dispatcher sends what it
    queued."""
    imported(app, "en")
    requested(Conversation(app, sink), WORDS["en"])
    port = free_port()
    env = serve_env(tmp_path, app.settings.database_url, sink, clock, port)
    later = (START + timedelta(days=4)).isoformat()
    serve = start("serve", env, tmp_path / "serve.log")
    try:
        wait_for_port(port, serve)
        once = run("jobs", "--once", "--now", later, env=env)
        assert once.returncode == 0 and "request_reminders: 1" in once.stdout, once.stderr
        wait_until(lambda: reminders_to_mentor(sink), timeout=30, what="the reminder at the sink")
        again = run("jobs", "--once", "--now", later, env=env)
        assert again.returncode == 0 and "request_reminders: 0" in again.stdout, again.stderr
    finally:
        stop(serve)
    with app.store.reading() as session:
        queued = session.scalar(select(func.count(OutboundMessage.id)).where(
            OutboundMessage.recipient == MENTOR, OutboundMessage.template == "reminder"))
    assert queued == 1 and len(reminders_to_mentor(sink)) == 1


def test_jobs_once_that_cannot_get_its_turn_says_so_and_exits_non_zero(app, clock, tmp_path):
    holder = jobs.SchedulerLock(app)
    assert holder.acquire()  # a pass that does not end
    try:
        env = environment(clock.now(), home=str(tmp_path / "home"), secret="s",
                          database_url=app.settings.database_url, jobs_wait_seconds="1")
        once = run("jobs", "--once", env=env)
    finally:
        holder.release()
    assert once.returncode == 1 and once.stdout == ""
    assert "another pass of the jobs held the lock for over 1 s; nothing done" in once.stderr


def test_the_scheduler_runs_due_jobs_and_stops(app, sink):
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_scheduler, args=(app, stop, 1))
    thread.start()
    try:
        deadline = datetime.now() + timedelta(seconds=20)
        while datetime.now() < deadline:
            with app.store.reading() as session:
                if session.scalar(select(JobRun.id).where(JobRun.job == "digest")):
                    break
            stop.wait(0.1)
        else:
            pytest.fail("the scheduler did not send the digest")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert jobs.SchedulerLock(app).acquire(), "the lock is released when the scheduler stops"
    assert sink.received == [], "the scheduler queues mail; the dispatcher sends it"
    process(app)
    assert [(m.rcpt_tos, m.message["Subject"]) for m in sink.received] == [
        ((COORDINATOR,), "Mentoring Test: Tagesübersicht 1.12.2026")]
