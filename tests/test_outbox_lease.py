"""A dispatcher begins no letter it could not finish inside its batch's lease, so a slow relay never
lets a second dispatcher send the same rows again; and a relay that cannot be reached costs no
attempt, is said once in the log, and is not hammered."""
from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from mailflow.outgoing.journal import SentJournal
from mailflow.outgoing.send import LEASE, Dispatcher, SmtpRelay
from mailflow.store.models import OutboundMessage
from mailflow.store.session import Store

from .support.mails import person_mail, store_mail
from .support.ports import free_port
from .support.sink import SmtpSink

PEOPLE = [f"p{n}@example.org" for n in range(5)]


class SlowRelay(SmtpSink):
    """A relay whose every DATA takes a quarter of a lease on the test's clock; meanwhile another
    dispatcher takes a pass, as one in another process would."""

    def __init__(self, clock) -> None:
        super().__init__()
        self.clock, self.meanwhile, self._busy = clock, lambda: None, False

    async def handle_DATA(self, server, session, envelope) -> str:
        self.clock.advance(LEASE / 4)
        if not self._busy:  # the other dispatcher's own letters call no further pass
            self._busy = True
            await asyncio.to_thread(self.meanwhile)
            self._busy = False
        return await super().handle_DATA(server, session, envelope)


def outbound(app) -> dict[str, tuple[str, int]]:
    with app.store.reading() as session:
        return {r.recipient: (r.state, r.attempts)
                for r in session.scalars(select(OutboundMessage))}


@pytest.fixture
def answers_waiting(app):
    for address in PEOPLE:
        store_mail(app, person_mail(address, "hello@mentoring.test", "HELP", ""))
    app.worker.drain()


def test_a_slow_relay_lets_no_other_dispatcher_send_a_letter_twice(app, clock, tmp_path,
                                                                  answers_waiting, caplog):
    """Each letter takes a quarter of the lease: the first dispatcher begins only the letters that
    end inside it and gives the others back; another dispatcher (its own journal, its own database
    connection) passing during every DATA finds nothing of the first's to take."""
    other_store = Store(app.store.url)
    with SlowRelay(clock) as relay:
        first = Dispatcher(app.store, clock, SmtpRelay(relay.url), journal=app.dispatcher.journal)
        other = Dispatcher(other_store, clock, SmtpRelay(relay.url),
                           journal=SentJournal(tmp_path / "other.journal"))
        relay.meanwhile = other.dispatch_due
        try:
            with caplog.at_level(logging.INFO, logger="mailflow.outgoing.send"):
                assert first.dispatch_due() == 2, "two letters fit in the lease"
            assert "3 letters wait for the next" in caplog.text
            assert sorted(outbound(app).values()) == [("pending", 0)] * 3 + [("sent", 1)] * 2
            first.drain()
        finally:
            other_store.dispose()
    assert [relay.count_to(address) for address in PEOPLE] == [1] * len(PEOPLE)
    assert set(outbound(app).values()) == {("sent", 1)}


def test_an_unreachable_relay_costs_no_attempt_and_is_said_once(app, clock, sink, answers_waiting,
                                                              caplog):
    """The relay down: each pass tries nobody (so the loop waits instead of spinning), the letters
    stay due without an attempt spent, the log says it once; when it is back, it says so too."""
    dispatcher = app.dispatcher
    dispatcher.transport = SmtpRelay(f"smtp://127.0.0.1:{free_port()}")
    with caplog.at_level(logging.INFO, logger="mailflow.outgoing.send"):
        assert [dispatcher.dispatch_due() for _ in range(3)] == [0, 0, 0]
        assert dispatcher.drain() == 0
        assert set(outbound(app).values()) == {("pending", 0)}
        dispatcher.transport = SmtpRelay(sink.url)
        assert dispatcher.drain() == len(PEOPLE)
    assert caplog.text.count("relay unreachable") == 1
    assert caplog.text.count("relay back after") == 1
    assert [sink.count_to(address) for address in PEOPLE] == [1] * len(PEOPLE)
