"""The SMTP receiver: precise early rejections, and 250 only for what is safely stored."""
from __future__ import annotations

import smtplib
import sqlite3
from email.policy import SMTP

import pytest
from sqlalchemy import text

from mailflow.store.models import InboundMessage
from mailflow.tokens import Token

from .support.mails import person_mail, smtp_send, taken


def stored(app) -> list[InboundMessage]:
    return taken(app.store)


def test_a_mail_to_hello_is_stored_before_250(app, receiver):
    mail = person_mail("ann@example.org", "hello@mentoring.test", "HELP", "")
    smtp_send(receiver, mail, "ann@example.org", ["hello@mentoring.test"])
    [row] = stored(app)
    assert row.raw == mail.as_bytes(policy=SMTP)
    assert row.envelope_from == "ann@example.org"
    assert row.envelope_to == ["hello@mentoring.test"]
    assert row.state == "new" and row.source == "smtp"


def test_recipients_that_are_not_ours_are_refused_at_rcpt(app, receiver):
    with smtplib.SMTP("127.0.0.1", receiver) as client:
        client.ehlo()
        client.mail("ann@example.org")
        assert client.rcpt("nobody@mentoring.test")[0] == 550
        assert client.rcpt("hello@elsewhere.example")[0] == 550
        assert client.rcpt("reply+junk@mentoring.test")[0] == 550
        assert client.rcpt("HELLO@Mentoring.Test")[0] == 250
        assert client.rcpt("coordinators@mentoring.test")[0] == 250
        assert client.rcpt(app.signer.address(Token("reply", "x", 1, 2)))[0] == 250


def test_the_size_limit_is_announced_and_enforced(app, receiver):
    with smtplib.SMTP("127.0.0.1", receiver) as client:
        client.ehlo()
        assert int(client.esmtp_features["size"]) == 200_000
    big = person_mail("ann@example.org", "hello@mentoring.test", "HELP", "x" * 300_000)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # declared with SIZE: refused at MAIL FROM
        smtp_send(receiver, big, "ann@example.org", ["hello@mentoring.test"])
    assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", receiver) as client:  # not declared: refused after DATA
        client.ehlo()
        client.mail("ann@example.org")
        client.rcpt("hello@mentoring.test")
        assert client.data(big.as_bytes(policy=SMTP))[0] == 552
    assert stored(app) == []


def test_when_the_store_fails_the_answer_is_451_and_never_250(app, receiver):
    if app.store.spool is not None:  # SQLite: the receiver writes the spool
        sqlite3.connect(app.store.spool.path).execute("ALTER TABLE spooled RENAME TO spooled_gone")
    with app.store.transaction() as session:
        session.execute(text("ALTER TABLE inbound_message RENAME TO inbound_message_gone"))
    mail = person_mail("ann@example.org", "hello@mentoring.test", "HELP", "")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        smtp_send(receiver, mail, "ann@example.org", ["hello@mentoring.test"])
    assert refused.value.smtp_code == 451


def test_a_message_sent_twice_is_stored_once(app, receiver):
    mail = person_mail("ann@example.org", "hello@mentoring.test", "HELP", "")
    smtp_send(receiver, mail, "ann@example.org", ["hello@mentoring.test"])
    smtp_send(receiver, mail, "ann@example.org", ["hello@mentoring.test"])
    assert len(stored(app)) == 1
    smtp_send(receiver, mail, "ann@example.org", ["hello@mentoring.test"])  # after it was moved
    assert len(stored(app)) == 1
