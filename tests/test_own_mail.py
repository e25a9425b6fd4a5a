"""Our own mail is never answered: not from any address of our domain, and not our own answer sent back to us
with its Auto-Submitted header stripped (its Message-ID is one of ours). That is how mail loops start."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mailflow.store.models import InboundMessage, OutboundMessage

from .support.conversation import Conversation
from .support.mails import smtp_send

HELLO = "hello@mentoring.test"


def answers(app) -> int:
    with app.store.reading() as session:
        return session.scalar(select(func.count(OutboundMessage.id)))


def states(app) -> list[str]:
    with app.store.reading() as session:
        return list(session.scalars(select(InboundMessage.state).order_by(InboundMessage.id)))


@pytest.mark.parametrize("sender", ["hello@mentoring.test", "coordinators@mentoring.test",
                                    "bounces+out.1.0.abc@mentoring.test", "anyone@mentoring.test",
                                    "relay@mx.mentoring.test"])
def test_help_from_an_address_of_our_own_domain_is_not_answered(app, sink, receiver, sender):
    talk = Conversation(app, sink, receiver)
    assert talk.write(sender, HELLO, "HELP", "HELP") == []
    assert states(app) == ["ignored"] and answers(app) == 0


def test_our_own_answer_sent_back_without_its_rfc3834_headers_is_not_answered(app, sink, receiver):
    talk = Conversation(app, sink, receiver)
    [help_mail] = talk.write("ann@example.org", HELLO, "HELP", "HELP")
    echoed = help_mail.message
    del echoed["Auto-Submitted"], echoed["X-Auto-Response-Suppress"], echoed["Precedence"]
    echoed.replace_header("From", "ann@example.org")
    smtp_send(receiver, echoed, "ann@example.org", [HELLO])
    assert talk.new_mail() == []
    assert states(app) == ["done", "ignored"] and answers(app) == 1
