"""Mail fetched from a real Dovecot mailbox takes the same path as SMTP mail: stored once, answered once."""
from __future__ import annotations

from dataclasses import replace
from email.policy import SMTP

import pytest
from sqlalchemy import select

from mailflow.store.models import InboundMessage
from mailflow.supervisor import imap_poller

from ..dovecot import running_dovecot
from ..support.mails import person_mail, process


@pytest.fixture
def dovecot():
    with running_dovecot() as server:
        yield server


def test_help_in_the_mailbox_is_answered_once_even_when_delivered_twice(app, sink, dovecot):
    app.settings = replace(app.settings, imap=dovecot.url)
    question = person_mail("ann@example.org", "hello@mentoring.test", "HELP", "")
    question["Return-Path"] = "<ann@example.org>"
    raw = question.as_bytes(policy=SMTP)
    dovecot.deliver(raw)
    dovecot.deliver(raw)
    noise = person_mail("away@example.org", "hello@mentoring.test", "Out of office", "I am away.",
                        Auto_Submitted="auto-replied")
    dovecot.deliver(noise.as_bytes(policy=SMTP))

    poller = imap_poller(app)
    assert poller.poll_once() == 3
    process(app)

    [answer] = sink.wait_for(1)
    assert answer.rcpt_tos == ("ann@example.org",)
    assert answer.message["In-Reply-To"] == question["Message-ID"]
    with app.store.transaction() as session:
        rows = session.execute(select(InboundMessage.source, InboundMessage.state, InboundMessage.envelope_to)
                               .order_by(InboundMessage.id)).all()
    assert rows == [("imap", "done", ["hello@mentoring.test"]), ("imap", "ignored", ["hello@mentoring.test"])]
    assert poller.poll_once() == 0
