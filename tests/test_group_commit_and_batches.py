"""The speed levers keep the guarantees: concurrent senders share one commit and each 250 still
means stored (also across a SIGKILL); a worker's batch shares one commit, yet a failing message in
it costs only itself, and a worker killed mid-batch answers nobody twice."""
from __future__ import annotations

import logging
import signal
import smtplib
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, func, select

from mailflow import routing
from mailflow.ingest import Envelope, Ingest
from mailflow.parsers.commands import Keyword
from mailflow.store.models import InboundMessage, OutboundMessage
from mailflow.store.session import Store

from .support.mails import person_mail, process, store_mail, taken
from .support.ports import free_port
from .support.processes import environment, start, stop, wait_for_port, wait_until

SENDERS = 12


def commits(store: Store) -> list[int]:
    """How many transactions the store committed from now on (an observation, not a stand-in)."""
    counted = [0]

    @event.listens_for(store.engine, "commit")
    def _commit(_connection) -> None:
        counted[0] += 1
    return counted


def intake_commits(store: Store) -> list[int]:
    """How many transactions the receiver's mail was committed in from now on: SQLite's spool
    (its transactions, counted as they run), or the store."""
    spool = store.spool
    if spool is None:
        return commits(store)
    counted, transaction = [0], spool._transaction

    @contextmanager
    def counting():
        with transaction() as db:
            yield db
        counted[0] += 1
    spool._transaction = counting
    return counted


def send_concurrently(port: int, mails: list) -> list[int]:
    """Each mail from its own client, all at once; the reply code each client got for its DATA."""
    codes: list[int] = []
    ready = threading.Barrier(len(mails))

    def client(mail) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo()
            smtp.mail(mail["From"])
            smtp.rcpt("hello@mentoring.test")
            ready.wait()
            codes.append(smtp.data(mail.as_bytes().replace(b"\n", b"\r\n"))[0])
    threads = [threading.Thread(target=client, args=(mail,)) for mail in mails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def inbound_count(database_url: str) -> int:
    """What the store took, the spool's mail moved in first (as the next worker would)."""
    store = Store(database_url)
    count = len(taken(store))
    store.dispose()
    return count


def test_concurrent_senders_share_commits_and_every_one_is_stored(app, receiver):
    mails = [person_mail(f"s{n}@example.org", "hello@mentoring.test", "HELP", "") for n in
             range(SENDERS)]
    committed = intake_commits(app.store)
    assert send_concurrently(receiver, mails) == [250] * SENDERS
    assert committed[0] > 0, "nothing was committed"
    senders = {row.envelope_from for row in taken(app.store)}
    assert senders == {mail["From"] for mail in mails}
    assert committed[0] < SENDERS, "each message had a commit of its own"


def test_a_message_the_store_cannot_take_costs_only_its_own_sender(app, clock):
    ingest = Ingest(app.store, clock)
    good = [(person_mail(f"g{n}@example.org", "hello@mentoring.test", "HELP", "").as_bytes(),
             Envelope(f"g{n}@example.org", ("hello@mentoring.test",), "smtp")) for n in range(3)]
    # a recipient the store cannot write (not text): this message's insert fails, in the group
    poison = (person_mail("p@example.org", "hello@mentoring.test", "HELP", "").as_bytes(),
              Envelope("p@example.org", (object(),), "smtp"))
    results = ingest.store_all([good[0], poison, good[1], good[2]])
    assert isinstance(results[1], Exception)
    assert all(isinstance(result, int) for result in results[:1] + results[2:])
    senders = sorted(row.envelope_from for row in taken(app.store))
    assert senders == ["g0@example.org", "g1@example.org", "g2@example.org"]


def test_two_copies_of_one_message_in_one_group_are_stored_once(app, clock, sink, caplog):
    """An MTA that retries on a second connection while the first still waits for its 250: both
    copies land in one group commit (and on SQLite in one move from the spool)."""
    mail = person_mail("twice@example.org", "hello@mentoring.test", "HELP", "").as_bytes()
    other = person_mail("once@example.org", "hello@mentoring.test", "HELP", "").as_bytes()
    envelope = Envelope("twice@example.org", ("hello@mentoring.test",), "smtp")
    caplog.set_level("INFO", logger="mailflow.ingest")
    Ingest(app.store, clock).store_all([(mail, envelope), (other, envelope), (mail, envelope)])
    assert len(taken(app.store)) == 2
    assert [r.message for r in caplog.records].count(
        f"duplicate message {person_mail_id(mail)} from twice@example.org: stored once already") == 1
    process(app)
    answered = Counter(rcpt for received in sink.wait_for(2) for rcpt in received.rcpt_tos)
    assert answered == Counter(["twice@example.org", "once@example.org"])


def person_mail_id(raw: bytes) -> str:
    return next(line.split(b":", 1)[1].strip().decode() for line in raw.splitlines()
                if line.lower().startswith(b"message-id:"))


def test_serve_killed_right_after_concurrent_250s_has_stored_every_message(tmp_path, database_url,
                                                                          sink, clock):
    port = free_port()
    env = environment(clock.now(), home=str(tmp_path / "home"), database_url=database_url,
                      domain="mentoring.test", secret="s3cret", relay=sink.url,
                      smtp_listen=f"127.0.0.1:{port}")
    serve = start("serve", env, tmp_path / "serve.log")
    try:
        wait_for_port(port, serve)
        mails = [person_mail(f"k{n}@example.org", "hello@mentoring.test", "HELP", "") for n in
                 range(SENDERS)]
        assert send_concurrently(port, mails) == [250] * SENDERS
        workers = children(serve.pid)
        names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in workers}
        assert {"mf-worker-0", "mf-dispatcher"} <= names, "children named for top and ps"
    finally:
        serve.send_signal(signal.SIGKILL)
        serve.wait()
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10,
               what=f"serve's workers {workers} to end with it")
    assert inbound_count(database_url) == SENDERS  # the children gone: none is moving the spool


def children(pid: int) -> list[int]:
    """The child processes of pid, from every one of its threads (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Whether pid still runs: a zombie waiting to be reaped has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def explode(ctx) -> str:
    raise RuntimeError("a bug in a flow")


def test_a_failing_message_in_a_batch_neither_loses_nor_redoes_the_others(app, sink, monkeypatch):
    monkeypatch.setitem(routing.HELLO, Keyword.PROFILE, explode)
    app.worker.batch_seconds = 60  # all in one batch, however slow the machine
    senders = [f"b{n}@example.org" for n in range(5)]
    for sender in senders:
        subject = "PROFILE" if sender == senders[2] else "HELP"
        store_mail(app, person_mail(sender, "hello@mentoring.test", subject, ""))
    committed = commits(app.store)
    assert app.worker.process_batch() == 5
    assert committed[0] == 1, "the batch did not share one commit"
    app.dispatcher.drain()
    answered = {sender for received in sink.wait_for(4) for sender in received.rcpt_tos}
    assert answered == set(senders) - {senders[2]}
    with app.store.reading() as session:
        states = {row.envelope_from: (row.state, row.attempts)
                  for row in session.scalars(select(InboundMessage))}
    assert states[senders[2]] == ("new", 1), "the failing message waits for its retry"
    assert all(states[sender] == ("done", 0) for sender in answered)
    assert app.worker.drain() == 0 and app.dispatcher.drain() == 0, "nothing is redone"


def test_a_batch_handled_again_after_a_failure_logs_each_message_once(app, monkeypatch, caplog):
    """A failure rolls its batch back and the batch is done again, each message in a savepoint:
    the log tells each message's fate once, and the failure's traceback once, as an operator
    reading it would expect."""
    monkeypatch.setitem(routing.HELLO, Keyword.PROFILE, explode)
    app.worker.batch_seconds = 60
    senders = [f"c{n}@example.org" for n in range(4)]
    for sender in senders:
        store_mail(app, person_mail(sender, "hello@mentoring.test",
                                    "PROFILE" if sender == senders[3] else "HELP", ""))
    with caplog.at_level(logging.INFO):
        assert app.worker.process_batch() == 4
    with app.store.reading() as session:
        ids = list(session.scalars(select(InboundMessage.id).order_by(InboundMessage.id)))
    told = [r.getMessage() for r in caplog.records]
    fates = Counter(line.split(":")[0] for line in told
                    if line.startswith("inbound ") and "handled again" not in line)
    assert fates == Counter([f"inbound {n} done" for n in ids[:3]]
                            + [f"inbound {ids[3]} failed (attempt 1)", f"inbound {ids[3]} new"])
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and tracebacks[0].startswith(f"inbound {ids[3]} failed")


def test_a_worker_killed_mid_batch_answers_nobody_twice(tmp_path, database_url, sink, clock):
    store = Store(database_url)
    questions = [person_mail(f"w{n}@example.org", "hello@mentoring.test", "HELP", "") for n in
                 range(300)]
    ingest = Ingest(store, clock)
    ingest.store_all([(q.as_bytes(), Envelope(q["From"], ("hello@mentoring.test",), "test"))
                      for q in questions])
    env = environment(clock.now(), home=str(tmp_path / "home"), database_url=database_url,
                      domain="mentoring.test", secret="s3cret", relay=sink.url,
                      smtp_listen=f"127.0.0.1:{free_port()}")

    def done() -> int:
        with store.reading() as session:
            return session.scalar(select(func.count(InboundMessage.id))
                                  .where(InboundMessage.state == "done"))
    worker = start("worker", env, tmp_path / "worker0.log")
    wait_until(lambda: done() > 10, timeout=120, what="the worker part way through")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert done() < len(questions), "the worker finished before it was killed"
    worker = start("worker", env, tmp_path / "worker1.log")
    try:
        wait_until(lambda: done() == len(questions), timeout=180, what="every question handled")
    finally:
        stop(worker)
    with store.reading() as session:
        answers = Counter(session.scalars(select(OutboundMessage.answers_inbound_id)))
    store.dispose()
    assert len(answers) == len(questions) and set(answers.values()) == {1}
    dispatcher = start("dispatch", env, tmp_path / "dispatch.log")
    try:
        received = sink.wait_for(len(questions), timeout=120)
    finally:
        stop(dispatcher)
    assert Counter(m.message["In-Reply-To"] for m in received) == Counter(
        q["Message-ID"] for q in questions)
