"""The README's deployment, for real: people's mail reaches `run.py serve` through Postfix with
OpenDKIM and OpenDMARC, whose Authentication-Results mailflow trusts; the answers leave through the
same Postfix, which signs them with the programme's DKIM key and delivers them to the people (the
test's sink).

zoe@example.org and minh@example.org are in a running mentorship. example.org publishes a DKIM key
and "p=reject", so what example.org did not sign fails DMARC; example.net publishes nothing."""
from __future__ import annotations

import email
import os
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import dkim
import pytest
from sqlalchemy import select

from mailflow.store.models import InboundMessage, Mentorship, OutboundMessage, Person

from .postfix import AUTHSERV_ID, PostfixStack, postfix_missing_reason, running_postfix
from .support.ports import free_port
from .support.processes import environment, start, stop, wait_for_port, wait_until
from .support.running import MENTEE, MENTOR, pdfs_of, running_mentorship
from .support.sink import Received, SmtpSink

HELLO = "hello@mentoring.test"
SENDERS = {"example.org": "v=DMARC1; p=reject", "example.net": None}
DELIVERY_TIMEOUT = 30


@pytest.fixture(scope="module")
def stack():
    """One Postfix stack for the module: nothing it keeps between tests matters to them."""
    reason = postfix_missing_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"the Postfix tests must run in CI: {reason}")
    if reason:
        pytest.skip(reason)
    with SmtpSink() as people, running_postfix(people, free_port(), SENDERS) as running:
        yield running


@pytest.fixture
def sink(stack):
    """The people's mailboxes, where Postfix delivers example.org and example.net. It stands in for
    conftest's sink, so the `app` fixture (here it only sets up the database) sends nowhere else."""
    wait_until(stack.queue_is_empty, timeout=DELIVERY_TIMEOUT, what="Postfix's queue to empty")
    stack.sink.received.clear()
    return stack.sink


@pytest.fixture
def mailflow(app, stack, sink, database_url, clock, tmp_path):
    """`run.py serve` on the app's database, receiving from Postfix and relaying through it, and
    trusting the Authentication-Results of Postfix's authserv-id."""
    env = environment(clock.now(), home=str(tmp_path / "serve-home"), database_url=database_url,
                      domain="mentoring.test", secret="test-secret", programme="Mentoring Test",
                      coordinators="coord@example.org", relay=stack.relay_url,
                      smtp_listen=f"127.0.0.1:{stack.receiver_port}",
                      trusted_authserv_id=AUTHSERV_ID)
    process = start("serve", env, tmp_path / "serve.log")
    try:
        wait_for_port(stack.receiver_port, process)
        yield process
    finally:
        stop(process)


def test_a_signed_end_needs_no_confirmation_and_an_unsigned_yes_to_it_is_refused(
        app, stack, sink, mailflow):
    mentorship = running_mentorship(app)

    asked_to_end = write(stack, MENTEE, HELLO, "END", signed=True)

    question = mail_for(stack, MENTOR, "would like to end your mentorship")
    assert mail_for(stack, MENTEE, "We asked")
    assert mentorship_state(app, mentorship) == "ending"
    assert verdicts_on_top(inbound(app, asked_to_end).raw) == ["dmarc=pass", "dkim=pass"]

    forged = answer(stack, question, MENTOR, "YES")
    row = inbound(app, forged)
    assert row.state == "refused"
    assert row.outcome == f"DMARC failed for {MENTOR} at the trusted receiving MTA"
    assert mentorship_state(app, mentorship) == "ending"

    answer(stack, question, MENTOR, "YES", signed=True)
    assert pdfs_of(mail_for(stack, MENTEE, "complete")), "no certificate attached"
    assert mentorship_state(app, mentorship) == "completed"


def test_end_from_a_domain_without_dmarc_is_confirmed_by_a_reply_first(app, stack, sink, mailflow):
    mentorship = running_mentorship(app)
    mentee = "zoe@example.net"
    moved(app, MENTEE, mentee)

    write(stack, mentee, HELLO, "END")

    asked = mail_for(stack, mentee, "Please confirm: END")
    assert mentorship_state(app, mentorship) == "active" and sent_to(app, MENTOR) == []

    answer(stack, asked, mentee, "YES")
    assert mail_for(stack, MENTOR, "would like to end your mentorship")
    assert mentorship_state(app, mentorship) == "ending"


def test_authentication_results_written_by_the_sender_are_not_believed(app, stack, sink, mailflow):
    """Unstripped, the forged spf=pass would make OpenDMARC itself say dmarc=pass (it believes the
    results it finds under its TrustedAuthservIDs); Postfix's header_checks drop all three."""
    mentorship = running_mentorship(app)
    forged = [("Authentication-Results", f"{AUTHSERV_ID}; {claim}") for claim in (
        "dmarc=pass header.from=example.org", "dkim=pass header.d=example.org header.s=test",
        "spf=pass smtp.mailfrom=example.org")]

    asked_to_end = write(stack, MENTEE, HELLO, "END", headers=forged)

    row = inbound(app, asked_to_end)
    assert row.state == "refused" and "DMARC failed" in row.outcome
    assert mentorship_state(app, mentorship) == "active" and sent_to(app, MENTEE) == []
    assert auth_results(row.raw) == [
        f"{AUTHSERV_ID}; dmarc=fail (p=reject dis=none) header.from=example.org"]


def write(stack: PostfixStack, sender: str, to: str, body: str, *, subject: str = "",
          signed: bool = False, in_reply_to: str | None = None,
          headers: list[tuple[str, str]] = ()) -> str:
    """A person's mail, submitted to Postfix from the internet, signed by their domain's DKIM key
    when signed. Returns its Message-ID."""
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = subject or body.splitlines()[0]
    message["Message-ID"] = make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    for name, value in headers:
        message[name] = value
    message.set_content(body)
    raw = message.as_bytes().replace(b"\n", b"\r\n")
    if signed:
        key = stack.keys[sender.rpartition("@")[2]]
        raw = dkim.sign(raw, key.selector.encode(), key.domain.encode(), key.private_pem,
                        canonicalize=(b"relaxed", b"relaxed")) + raw
    stack.submit(raw, sender, [to])
    return message["Message-ID"]


def answer(stack: PostfixStack, mail: Received, sender: str, body: str,
           signed: bool = False) -> str:
    """A reply to mail, to its Reply-To; returns its Message-ID."""
    original = mail.message
    return write(stack, sender, parseaddr(original["Reply-To"])[1], body, signed=signed,
                 subject=f"Re: {original['Subject']}", in_reply_to=original["Message-ID"])


def mail_for(stack: PostfixStack, address: str, subject: str = "") -> Received:
    """The first mail delivered to address (with subject in its subject), waited for. Every mail a
    person gets went out through Postfix: it must carry the programme's valid DKIM signature."""
    def found() -> Received | None:
        return next((mail for mail in list(stack.sink.received) if address in mail.rcpt_tos
                     and subject in mail.message["Subject"]), None)
    wait_until(lambda: found() is not None, timeout=DELIVERY_TIMEOUT, what=f"mail for {address}")
    mail = found()
    signature = mail.message["DKIM-Signature"] or ""
    assert "d=mentoring.test;" in signature and "s=mailflow;" in signature, signature
    assert dkim.verify(mail.raw, dnsfunc=stack.txt), "the DKIM signature does not verify"
    return mail


def inbound(app, message_id: str) -> InboundMessage:
    """The stored mail with message_id, once the worker is done with it."""
    def row() -> InboundMessage | None:
        with app.store.transaction() as session:
            found = session.scalar(select(InboundMessage)
                                   .where(InboundMessage.message_id == message_id,
                                          InboundMessage.state != "new"))
            if found is not None:
                session.expunge(found)
            return found
    wait_until(lambda: row() is not None, timeout=DELIVERY_TIMEOUT, what=f"{message_id} handled")
    return row()


def mentorship_state(app, mentorship_id: int) -> str:
    with app.store.transaction() as session:
        return session.get(Mentorship, mentorship_id).state


def sent_to(app, address: str) -> list[str]:
    """The templates of every mail mailflow wrote to address, but the relationship pulse: serve's
    scheduler asks it of every mentorship older than 30 days, as running_mentorship's is."""
    with app.store.transaction() as session:
        return list(session.scalars(select(OutboundMessage.template).where(
            OutboundMessage.recipient == address, OutboundMessage.template != "pulse")))


def moved(app, old: str, new: str) -> None:
    """The person at old has the address new (as if they had always written from there)."""
    with app.store.transaction() as session:
        session.scalar(select(Person).where(Person.email == old)).email = new


def auth_results(raw: bytes) -> list[str]:
    return [" ".join(str(value).split()) for value in
            email.message_from_bytes(raw).get_all("Authentication-Results", [])]


def verdicts_on_top(raw: bytes) -> list[str]:
    """The first result of each Authentication-Results header above Postfix's Received header: the
    order authresults.py relies on."""
    names = [name.lower() for name in email.message_from_bytes(raw).keys()]
    on_top = names.index("received")
    assert set(names[:on_top]) == {"authentication-results"}, names
    return [header.split(";")[1].split()[0] for header in auth_results(raw)[:on_top]]
