"""A programme driven through time with jobs.run_due: reminders after 3 and 7 days, then the coordinators; the
approval reminder; the inactivity check-in at most once per period; the daily digest once a day; nothing twice."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from mailflow.jobs import scheduler as jobs
from mailflow.store.models import JobRun, Mentorship

from .support.conversation import Conversation, one_to
from .test_joining_to_agreement import HELLO, MENTEE, MENTOR, WORDS, filled_form, imported, link_in

COORDINATOR = "coord@example.org"
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def at(talk: Conversation, clock, moment: datetime) -> list:
    """Run every due job at moment, twice (the second run must send nothing), and return what was sent."""
    clock.set(moment)
    jobs.run_due(talk.app, moment)
    sent = talk.new_mail()
    jobs.run_due(talk.app, moment)
    assert talk.new_mail() == [], "a second run at the same moment sent mail again"
    return sent


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
    assert [m.rcpt_tos for m in at(talk, clock, quiet + timedelta(days=5))] == [(COORDINATOR,)], "digest only"
    again = at(talk, clock, quiet + timedelta(days=29))
    assert len([m for m in again if "How is your mentoring" in str(m.message["Subject"])]) == 2, \
        "once per period: after another 28 quiet days, the next check-in"

    answer = talk.reply(one_to(again, MENTEE), MENTEE, "It goes well, we met twice.")
    passed = one_to(answer, COORDINATOR)
    assert "It goes well, we met twice." in passed.text() and "Mentoring 1 geantwortet" in passed.text()
    assert "Thank you" in str(one_to(answer, MENTEE).message["Subject"])
    with app.store.transaction() as session:
        assert session.scalar(select(func.count(JobRun.id)).where(JobRun.job == "reminders")) == 4


def test_a_second_scheduler_waits_while_one_holds_the_lock(app):
    holder = jobs.SchedulerLock(app)
    assert holder.acquire()
    try:
        other = jobs.SchedulerLock(app)
        assert not other.acquire(), "two schedulers at once"
        assert jobs.run_due(app, START) == {}, "--once does nothing while a scheduler runs"
    finally:
        holder.release()
    assert jobs.run_due(app, START) != {}


def test_the_scheduler_runs_due_jobs_and_stops(app, sink):
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_scheduler, args=(app, stop, 1))
    thread.start()
    try:
        sink.wait_for(0)
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
