"""Senders with internationalised addresses (RFC 6531) get their answer: the domain travels as IDNA, a
non-ASCII local part with SMTPUTF8 when the relay offers it; a relay that does not is a clear outbox
failure, never a failed inbound mail. Through the real SMTP receiver and a real sink."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mailflow.store.models import InboundMessage, OutboundMessage

from .support.conversation import Conversation
from .support.sink import SmtpSink

HELLO = "hello@mentoring.test"


def rows(app) -> tuple[list[str], list[tuple[str, str]]]:
    with app.store.reading() as session:
        inbound = list(session.scalars(select(InboundMessage.state)))
        outbound = [(r.state, r.last_error) for r in session.scalars(select(OutboundMessage))]
        return inbound, outbound


@pytest.mark.parametrize(("sender", "envelope"), [
    ("jürgen@example.de", "jürgen@example.de"),
    ("anna@müller.example", "anna@xn--mller-kva.example"),
])
def test_an_international_address_gets_its_answer(app, sink, receiver, sender, envelope):
    talk = Conversation(app, sink, receiver)
    [answer] = talk.write(f"Jürgen Müller <{sender}>", HELLO, "HELP", "HELP")
    assert answer.rcpt_tos == (envelope,)
    to_line = re.search(rb"^To: (.*)\r$", answer.raw, re.M).group(1).decode("utf-8")  # RFC 6532: UTF-8
    assert to_line.endswith(f"<{envelope}>")
    assert "MENTORS" in answer.text()
    assert rows(app) == (["done"], [("sent", "")])


def test_a_relay_without_smtputf8_fails_the_letter_clearly_not_the_inbound_mail(app, receiver):
    with SmtpSink(smtputf8=False) as plain:
        app.dispatcher.transport.host, app.dispatcher.transport.port = "127.0.0.1", plain.port
        talk = Conversation(app, plain, receiver)
        assert talk.write("jürgen@example.de", HELLO, "HELP", "HELP") == []
    inbound, outbound = rows(app)
    assert inbound == ["done"]
    assert outbound[0][0] == "failed" and "SMTPUTF8" in outbound[0][1]
