"""A failing message is set aside without blocking the others; the outbox retries the relay with back-off."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from mailflow import routing
from mailflow.outgoing.journal import SentJournal
from mailflow.outgoing.send import Dispatcher, FolderTransport, SmtpRelay
from mailflow.parsers.commands import Keyword
from mailflow.store.models import InboundMessage, OutboundMessage, Person
from mailflow.store.session import Store

from .support.mails import add_person, person_mail, process, store_mail
from .support.processes import ROOT, environment


def explode(ctx) -> str:
    raise RuntimeError("a bug in a flow")


@pytest.fixture
def buggy_profile(monkeypatch):
    """PROFILE answered by a flow with a bug, as a poison message would be."""
    monkeypatch.setitem(routing.HELLO, Keyword.PROFILE, explode)


def inbound_states(app) -> list[tuple[str, int, str]]:
    with app.store.transaction() as session:
        return [(r.state, r.attempts, r.error) for r in
                session.scalars(select(InboundMessage).order_by(InboundMessage.id))]


def test_a_failing_message_is_retried_twice_then_set_aside_while_others_are_answered(app, sink, clock,
                                                                                      buggy_profile):
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "PROFILE", ""))
    store_mail(app, person_mail("bob@example.org", "hello@mentoring.test", "HELP", ""))
    process(app)
    assert [m.rcpt_tos for m in sink.wait_for(1)] == [("bob@example.org",)]
    assert inbound_states(app)[0][:2] == ("new", 1)

    for _ in range(2):
        clock.advance(timedelta(hours=1))
        process(app)
    state, attempts, error = inbound_states(app)[0]
    assert (state, attempts) == ("failed", 3) and "a bug in a flow" in error
    clock.advance(timedelta(days=1))
    assert app.worker.drain() == 0, "a message set aside is not tried again"
    assert len(sink.received) == 1, "nobody gets a stack trace or an answer for the failed message"


def test_the_relay_refusing_for_now_is_retried_with_growing_back_off(app, sink, clock):
    sink.refuse = ["451 4.3.0 try later", "451 4.3.0 try later"]
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "HELP", ""))
    app.worker.drain()
    app.dispatcher.drain()
    with app.store.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        first_wait = row.next_attempt_at - clock.now()
        assert (row.state, row.attempts) == ("pending", 1) and "451" in row.last_error
    clock.advance(first_wait)
    app.dispatcher.drain()
    with app.store.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.next_attempt_at - clock.now() > first_wait, "the back-off grows"
        clock.advance(row.next_attempt_at - clock.now())
    app.dispatcher.drain()
    [delivered] = sink.wait_for(1)
    with app.store.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert (row.state, row.attempts) == ("sent", 3) and delivered.message["Message-ID"] == row.message_id


def test_a_permanent_refusal_is_not_retried(app, sink, clock):
    sink.refuse = ["550 5.1.1 no such user"]
    store_mail(app, person_mail("ghost@example.org", "hello@mentoring.test", "HELP", ""))
    process(app)
    clock.advance(timedelta(days=2))
    app.dispatcher.drain()
    with app.store.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.state == "failed" and row.last_error.startswith("550")
    assert sink.received == []


def test_without_a_relay_mail_lands_as_readable_eml_files(app, tmp_path):
    folder = tmp_path / "outbox"
    dispatcher = Dispatcher(app.store, app.clock, FolderTransport(folder),
                            journal=SentJournal(tmp_path / "sent.journal"))
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "HILFE", ""))
    app.worker.drain()
    assert dispatcher.drain() == 1
    [eml] = folder.glob("*.eml")
    content = eml.read_bytes()
    assert content.startswith(b"Return-Path: <bounces+") and b"To: ann@example.org" in content
    assert "MENTOREN".encode() in content, "the text part is quoted-printable, readable in an editor"
    assert dispatcher.drain() == 0


def test_the_operator_puts_a_failed_message_back_once_the_bug_is_fixed(app, sink, clock, tmp_path, monkeypatch):
    """`run.py retry` (a real process on the same database) queues it again; the worker then answers it once."""
    monkeypatch.setitem(routing.HELLO, Keyword.PROFILE, explode)
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "HELP", ""))
    for _ in range(3):
        process(app)
        clock.advance(timedelta(hours=1))
    assert [state for state, _, _ in inbound_states(app)] == ["done"]  # HELP is fine: nothing to retry
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", "PROFILE", ""))
    for _ in range(3):
        process(app)
        clock.advance(timedelta(hours=1))
    assert inbound_states(app)[1][:2] == ("failed", 3)
    monkeypatch.undo()  # the fix is deployed

    env = environment(clock.now(), home=str(tmp_path / "cli"), database_url=app.settings.database_url, secret="s")
    run = [sys.executable, str(ROOT / "run.py"), "retry"]
    done = subprocess.run(run + ["2", "1"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "1 failed mail(s) back in the queue: 2" in done.stdout
    assert "not failed (or unknown), left alone: 1" in done.stdout
    process(app)
    answers = [m for m in sink.wait_for(2) if m.rcpt_tos == ("ann@example.org",)]
    assert len(answers) == 2 and inbound_states(app)[1][0] == "done"
    again = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 failed mail(s) back in the queue" in again.stdout


def test_one_sessions_refusal_and_drop_touch_only_their_own_letters(app, sink, clock):
    """In one SMTP session: 550 for one recipient, the line dropped after DATA for another. The refused letter
    fails at once (and its address is marked), the dropped one is sent once more (the relay may have it), the
    ones before are recorded as sent, the one after goes out on the next pass: exact delivery counts."""
    people = ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]
    for address in people:
        add_person(app, address)
        store_mail(app, person_mail(address, "hello@mentoring.test", "HELP", ""))
    app.worker.drain()
    sink.refuse_rcpt["b@example.org"] = "550 5.1.1 no such user"
    sink.drop_after_data["c@example.org"] = 1
    assert app.dispatcher.dispatch_due() == 3, "d never reached the relay"
    assert [sink.count_to(a) for a in people] == [1, 0, 1, 0]
    assert outbound(app) == {"a@example.org": ("sent", 1), "b@example.org": ("failed", 1),
                             "c@example.org": ("pending", 1), "d@example.org": ("pending", 0)}
    clock.advance(timedelta(minutes=5))
    app.dispatcher.drain()
    assert [sink.count_to(a) for a in people] == [1, 0, 2, 1]
    with app.store.reading() as session:
        bounced = session.scalar(select(Person).where(Person.email == "b@example.org"))
        assert bounced.bounced_at is not None and "550 5.1.1" in bounced.bounce_reason


def test_a_letter_the_relay_keeps_refusing_for_now_fails_after_its_lifetime(app, sink, clock):
    add_person(app, "slow@example.org")
    store_mail(app, person_mail("slow@example.org", "hello@mentoring.test", "HELP", ""))
    app.worker.drain()
    sink.refuse_rcpt["slow@example.org"] = "451 4.7.1 greylisted"
    for _ in range(40):
        app.dispatcher.drain()
        clock.advance(timedelta(hours=6))
    assert outbound(app)["slow@example.org"][0] == "failed"
    assert sink.count_to("slow@example.org") == 0


def test_an_acceptance_the_database_cannot_take_is_kept_in_the_journal_and_never_sent_again(
        app, sink, tmp_path, monkeypatch):
    """The relay said 250, then the commit failed: the fsynced journal says it was sent, and the next pass
    records it instead of sending it a second time."""
    store_mail(app, person_mail("jo@example.org", "hello@mentoring.test", "HELP", ""))
    app.worker.drain()
    real_mark_sent = app.dispatcher._mark_sent

    def database_away(session, ids, now):
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(app.dispatcher, "_mark_sent", database_away)
    with pytest.raises(OperationalError):
        app.dispatcher.dispatch_due()
    assert app.dispatcher.journal.pending() and sink.count_to("jo@example.org") == 1
    monkeypatch.setattr(app.dispatcher, "_mark_sent", real_mark_sent)
    app.dispatcher.drain()
    assert outbound(app)["jo@example.org"][0] == "sent"
    assert sink.count_to("jo@example.org") == 1 and app.dispatcher.journal.pending() == []


def outbound(app) -> dict[str, tuple[str, int]]:
    with app.store.reading() as session:
        return {r.recipient: (r.state, r.attempts) for r in session.scalars(select(OutboundMessage))}


def test_two_dispatchers_at_once_send_every_letter_exactly_once(app, sink, clock):
    """Two dispatchers on one database and one MAILFLOW_HOME, sending at the same time: each lease
    takes rows the other has not, so nobody gets a letter twice and nobody none."""
    sink.delay = 0.002  # a relay that takes its time: the two batches overlap
    addresses = [f"p{n}@example.org" for n in range(40)]
    for address in addresses:
        store_mail(app, person_mail(address, "hello@mentoring.test", "HELP", ""))
    app.worker.drain()
    other_store = Store(app.store.url)
    dispatchers = [Dispatcher(store, clock, SmtpRelay(sink.url), journal=app.dispatcher.journal,
                              batch=5) for store in (app.store, other_store)]
    try:
        with ThreadPoolExecutor(2) as pool:
            sent = list(pool.map(lambda dispatcher: dispatcher.drain(), dispatchers))
    finally:
        other_store.dispose()
    assert sum(sent) == len(addresses), "each row tried once"
    assert [sink.count_to(address) for address in addresses] == [1] * len(addresses)
    assert set(outbound(app).values()) == {("sent", 1)}


class AnotherDispatcherMeanwhile:
    """A transport after each of whose acceptances another dispatcher sharing the journal takes a
    pass, as one would between this one's 250 and its commit."""

    def __init__(self, inner, other: Dispatcher) -> None:
        self.inner, self.other = inner, other
        self.letter_time = inner.letter_time

    def send(self, letters, record, in_time) -> None:
        def noted(row_id, error):
            record(row_id, error)
            self.other.dispatch_due()
        self.inner.send(letters, noted, in_time)


def test_another_dispatcher_between_a_250_and_its_commit_neither_resends_nor_counts_twice(
        app, sink, tmp_path):
    """While one dispatcher is between its relay's 250s and its commit, another sharing the journal
    leases only the row left and records the first one's acceptances from the journal; the first
    one's own record afterwards counts no attempt a second time."""
    addresses = ["ann@example.org", "bob@example.org", "cy@example.org"]
    for address in addresses:
        store_mail(app, person_mail(address, "hello@mentoring.test", "HELP", ""))
    app.worker.drain()
    journal = SentJournal(tmp_path / "shared.journal")
    other = Dispatcher(app.store, app.clock, SmtpRelay(sink.url), journal=journal)
    first = Dispatcher(app.store, app.clock, AnotherDispatcherMeanwhile(SmtpRelay(sink.url), other),
                       journal=journal, batch=2)
    assert first.drain() == 2
    assert [sink.count_to(address) for address in addresses] == [1, 1, 1]
    assert set(outbound(app).values()) == {("sent", 1)} and journal.pending() == []


def test_acceptances_journalled_while_another_dispatcher_clears_the_journal_are_kept(tmp_path):
    """One dispatcher keeps the shared journal open for its batch while another one forgets what
    it has recorded: every acceptance of the first one is still there to be applied."""
    path = tmp_path / "sent.journal"
    with SentJournal(path).appending() as add:
        add(1)
        add(2)
        SentJournal(path).clear([1])
        add(3)
        SentJournal(path).clear([2])
        add(4)
    assert SentJournal(path).pending() == [3, 4]
