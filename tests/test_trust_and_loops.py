"""Never answer robots, never loop, never act on a forged or misdirected reply."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailflow.store.models import InboundMessage, OutboundMessage, Person
from mailflow.tokens import Token

from .support.mails import add_person, person_mail, process, store_mail

PIPELINE_FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"


def outcomes(app) -> list[tuple[str, str]]:
    with app.store.transaction() as session:
        return list(session.execute(select(InboundMessage.state, InboundMessage.outcome).order_by(InboundMessage.id)))


def outbound_count(app) -> int:
    with app.store.transaction() as session:
        return session.scalar(select(func.count(OutboundMessage.id)))


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "list", "List_Id": "<talk.lists.example.org>"},
    {"X_Autoreply": "yes"},
])
def test_mail_marked_as_automatic_is_not_answered(app, headers):
    store_mail(app, person_mail("robot@example.org", "hello@mentoring.test", "HELP", "HELP", **headers))
    process(app)
    [(state, note)] = outcomes(app)
    assert state == "ignored"
    assert outbound_count(app) == 0


def test_mail_with_an_empty_envelope_sender_is_not_answered(app):
    store_mail(app, person_mail("someone@example.org", "hello@mentoring.test", "HELP", ""), sender="")
    process(app)
    assert outcomes(app)[0][0] == "ignored"
    assert outbound_count(app) == 0


@pytest.mark.parametrize("fixture", sorted(p.name for p in PIPELINE_FIXTURES.glob("*.eml")))
def test_real_auto_replies_and_bounces_sent_to_hello_are_not_answered(app, fixture):
    raw = (PIPELINE_FIXTURES / fixture).read_bytes()
    store_mail(app, raw, sender="MAILER-DAEMON@example.net", recipients=["hello@mentoring.test"])
    process(app)
    assert outcomes(app)[0][0] == "ignored"
    assert outbound_count(app) == 0


def test_a_reply_through_a_signed_address_from_its_person_is_handled(app, sink):
    person = add_person(app, "fay@example.org")
    address = app.signer.address(Token("reply", "help", 0, person.id))
    store_mail(app, person_mail("fay@example.org", address, "Re: something", "HELP"))
    process(app)
    assert outcomes(app)[0][0] == "done"
    assert sink.wait_for(1)[0].rcpt_tos == ("fay@example.org",)


def test_a_forged_token_changes_nothing_and_is_not_answered(app):
    person = add_person(app, "gil@example.org")
    address = app.signer.address(Token("reply", "help", 0, person.id))
    local, domain = address.split("@")
    forged = local[:-4] + ("0000" if not local.endswith("0000") else "1111") + "@" + domain
    store_mail(app, person_mail("gil@example.org", forged, "Re: x", "HELP"))
    process(app)
    [(state, note)] = outcomes(app)
    assert state == "refused" and "forged" in note
    assert outbound_count(app) == 0


def test_a_reply_from_someone_else_than_the_tokens_person_is_refused(app):
    person = add_person(app, "hal@example.org")
    address = app.signer.address(Token("reply", "help", 0, person.id))
    store_mail(app, person_mail("mallory@example.net", address, "Re: x", "HELP"))
    process(app)
    [(state, note)] = outcomes(app)
    assert state == "refused" and "mallory@example.net" in note and "hal@example.org" in note
    assert outbound_count(app) == 0


def test_a_bounce_marks_the_address_and_nothing_more_is_sent_to_it(app, sink):
    person = add_person(app, "ivy@example.org")
    store_mail(app, person_mail("ivy@example.org", "hello@mentoring.test", "HELP", ""))
    process(app)
    [first] = sink.wait_for(1)
    bounce = _dsn_for(first.mail_from, "ivy@example.org")
    store_mail(app, bounce, sender="", recipients=[first.mail_from])
    store_mail(app, person_mail("ivy@example.org", "hello@mentoring.test", "HELP", "again"))
    process(app)

    with app.store.transaction() as session:
        marked = session.get(Person, person.id)
        assert marked.bounced_at is not None and "5.1.1" in marked.bounce_reason
    assert outbound_count(app) == 1
    assert [state for state, _ in outcomes(app)] == ["done", "done", "done"]


def _dsn_for(verp_address: str, failed: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        f"To: {verp_address}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.org>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be "
        "delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--b--\r\n"
    ).encode()
