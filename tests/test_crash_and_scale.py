"""Real processes: killed at the worst moment they lose nothing and send nothing twice; several workers on
PostgreSQL share the work without ever taking the same message."""
from __future__ import annotations

import signal
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from mailflow.ingest import Envelope, Ingest
from mailflow.store.models import InboundMessage, OutboundMessage
from mailflow.store.session import Store

from .support.mails import person_mail, smtp_send
from .support.ports import free_port
from .support.processes import environment, start, stop, wait_for_port, wait_until


def serve_env(tmp_path, database_url, sink, clock, port: int, **more: str) -> dict[str, str]:
    return environment(clock.now(), home=str(tmp_path / "home"), database_url=database_url, domain="mentoring.test",
                       secret="s3cret", relay=sink.url, smtp_listen=f"127.0.0.1:{port}", **more)


def test_serve_killed_right_after_250_answers_every_mail_once_after_restart(tmp_path, database_url, sink,
                                                                           clock):
    port = free_port()
    env = serve_env(tmp_path, database_url, sink, clock, port)
    questions = [person_mail(f"p{n}@example.org", "hello@mentoring.test", "HELP", "") for n in range(12)]

    first = start("serve", env, tmp_path / "serve.log")
    wait_for_port(port, first)
    for question in questions[:6]:
        smtp_send(port, question, question["From"], ["hello@mentoring.test"])
    first.send_signal(signal.SIGKILL)
    first.wait()

    second = start("serve", env, tmp_path / "serve.log")
    try:
        wait_for_port(port, second)
        for question in questions[6:]:
            smtp_send(port, question, question["From"], ["hello@mentoring.test"])
        sink.wait_for(len(questions), timeout=60)  # what the killed one leased goes at once
    finally:
        stop(second)

    deliveries = deliveries_per_question(sink)
    assert set(deliveries) == {q["Message-ID"] for q in questions}
    assert sum(deliveries.values()) - len(questions) <= 1, f"more than one extra delivery: {deliveries}"
    store = Store(database_url)
    with store.transaction() as session:
        assert session.scalar(select(func.count(OutboundMessage.id))) == len(questions)
    store.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_answer_500_messages_exactly_once(tmp_path, database_url, sink, clock):
    store = Store(database_url)
    ingest = Ingest(store, clock)
    for n in range(500):
        question = person_mail(f"q{n}@example.org", "hello@mentoring.test", "HELP", "")
        ingest(question.as_bytes(), Envelope(f"q{n}@example.org", ("hello@mentoring.test",), "test"))
    env = serve_env(tmp_path, database_url, sink, clock, free_port())
    workers = [start("worker", env, tmp_path / f"worker{n}.log") for n in range(2)]

    def all_done() -> bool:
        with store.transaction() as session:
            return not session.scalar(select(func.count(InboundMessage.id)).where(InboundMessage.state != "done"))
    try:
        wait_until(all_done, timeout=180, what="500 messages processed")
    finally:
        for worker in workers:
            stop(worker)

    with store.transaction() as session:
        answered = session.execute(select(OutboundMessage.answers_inbound_id, func.count())
                                   .group_by(OutboundMessage.answers_inbound_id)).all()
    store.dispose()
    assert len(answered) == 500 and all(count == 1 for _, count in answered)
    shares = [(tmp_path / f"worker{n}.log").read_text().count(" done: ") for n in range(2)]
    assert sum(shares) == 500 and min(shares) > 0, f"work was not shared: {shares}"


def deliveries_per_question(sink) -> dict[str, int]:
    """Deliveries at the sink per question answered: every delivery counts, also the same Message-ID
    twice (a resend after a crash is a second mail in someone's inbox)."""
    counts: dict[str, int] = defaultdict(int)
    for received in sink.received:
        counts[received.message["In-Reply-To"]] += 1
    return dict(counts)


def killed_while_sending(tmp_path, sink, env, command: str, answers: int, kills: int) -> None:
    """Run command until the relay is part way through, SIGKILL it, kills times; then run it to the
    end."""
    for kill in range(kills):
        process = start(command, env, tmp_path / f"{command}{kill}.log")
        before = len(sink.received)
        wait_until(lambda: len(sink.received) >= before + 5, timeout=60, what="the relay accepting")
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = start(command, env, tmp_path / f"{command}-final.log")
    try:  # the killed one's batch goes out now, not when its five-minute lease ends
        wait_until(lambda: len({m.message["In-Reply-To"] for m in sink.received}) >= answers,
                   timeout=60, what=f"all {answers} answers delivered")
    finally:
        stop(final)
    told = (tmp_path / f"{command}-final.log").read_text()
    assert "leased by a dispatcher that ended go out again" in told


@pytest.mark.parametrize(("command", "database_url"), [("dispatch", "postgresql"), ("serve", "sqlite")],
                         indirect=["database_url"])
def test_sending_killed_while_the_relay_accepts_sends_at_most_one_letter_again(
        tmp_path, database_url, sink, clock, command):
    """One SMTP transaction at a time, each 250 recorded before the next: a SIGKILL of run.py dispatch
    (or of serve) can only catch the one letter in flight, never the batch."""
    store = Store(database_url)
    env = serve_env(tmp_path, database_url, sink, clock, free_port())
    questions = [person_mail(f"d{n}@example.org", "hello@mentoring.test", "HELP", "") for n in range(40)]
    ingest = Ingest(store, clock)
    for question in questions:
        ingest(question.as_bytes(), Envelope(question["From"], ("hello@mentoring.test",), "test"))
    worker = start("worker", env, tmp_path / "worker.log")
    try:
        wait_until(lambda: _outbox_rows(store) == len(questions), timeout=120, what="answers queued")
    finally:
        stop(worker)
    sink.delay = 0.05
    killed_while_sending(tmp_path, sink, env, command, len(questions), kills=1)
    store.dispose()
    deliveries = deliveries_per_question(sink)
    assert set(deliveries) == {q["Message-ID"] for q in questions}
    assert sum(deliveries.values()) - len(questions) <= 1, f"more than one extra: {deliveries}"


def _outbox_rows(store: Store) -> int:
    with store.reading() as session:
        return session.scalar(select(func.count(OutboundMessage.id)))
