"""Every bounce and auto-reply sample of the corpus, to hello@ and to a VERP bounces+ address: never answered;
a permanent failure at a bounces+ address marks the address, which then gets no mail until it is fixed."""
from __future__ import annotations

import re
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailflow.ingest import Envelope
from mailflow.store.models import InboundMessage, OutboundMessage, Person
from mailflow.tokens import Token

from .support.conversation import Conversation
from .support.mails import add_person, process

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = sorted([*(FIXTURES / "bounces").glob("*.eml"), *(FIXTURES / "autoreplies").glob("*.eml")])
HELLO = "hello@mentoring.test"
ANNA = "anna@example.org"
# The samples of bounces/ that name no permanent failure: delay notices, and complaints or
# notices that are no DSN. They leave the address as it is; the other 50 mark it.
DELAYS = {"flanker_no-mx", "flanker_sendmail_cannot-send-for-5-days",
          "flufl_gmail_delay-dsn_via-list", "flufl_postfix-delayed-warning_via-mailman-list",
          "flufl_yahoo_failure-delivery", "phpbh_exim_warning-delayed-72-hours",
          "sisimai_rfc3464-07_delayed_via-mailing-list", "sisimai_sendmail-29_delayed-warning"}
NO_DSN = {"flanker_arf-complaint_yahoo", "flufl_ms-cdo_non-delivery_list-administrivia",
          "phpbh_hotmail_complaint_non-arf", "sisimai_arf-01_feedback-report",
          "sisimai_not-dsn_postmaster-de_auto-replied-bounce"}
MARKED = f"bounce: {ANNA} marked"


def outbound_count(app) -> int:
    with app.store.reading() as session:
        return session.scalar(select(func.count(OutboundMessage.id)))


def a_mail_to_anna(app, talk: Conversation) -> str:
    """Anna asks for HELP; the answer's envelope sender is the bounces+ address a bounce comes back to."""
    add_person(app, ANNA)
    talk.write(ANNA, HELLO, "HELP", "HELP")
    with app.store.reading() as session:
        return session.scalar(select(OutboundMessage.envelope_from).order_by(OutboundMessage.id.desc()).limit(1))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_sample_is_ever_answered(app, sink, sample):
    talk = Conversation(app, sink)
    verp = a_mail_to_anna(app, talk)
    before = outbound_count(app)
    raw = sample.read_bytes()
    stored = [app.ingest(raw, Envelope("", (HELLO,), "test")),
              app.ingest(_new_copy(raw), Envelope("", (verp,), "test")),
              app.ingest(_new_copy(raw), Envelope("mailer-daemon@example.net", (verp,), "test"))]
    assert None not in stored, "three fresh mails: none is taken for a duplicate"
    process(app)
    assert outbound_count(app) == before, "a bounce or auto-reply is never answered"
    with app.store.reading() as session:
        rows = dict(session.execute(select(InboundMessage.id, InboundMessage.outcome)
                                    .where(InboundMessage.id.in_(stored[1:]))).all())
        states = set(session.scalars(select(InboundMessage.state)
                                     .where(InboundMessage.id.in_(stored))))
        bounced_at = session.scalar(select(Person.bounced_at).where(Person.email == ANNA))
    assert states <= {"done", "ignored"}, states
    assert [rows[number] for number in stored[1:]] == [_verp_outcome(sample)] * 2
    marks = _verp_outcome(sample) == MARKED
    assert (bounced_at is not None) is marks, "only a permanent failure marks the address"
    helped = talk.write(ANNA, HELLO, "HELP", "HELP")
    assert [m.rcpt_tos for m in helped] == ([] if marks else [(ANNA,)]), \
        "a marked address gets nothing more; one that was not marked still gets its answer"


def test_the_corpus_bounces_mark_the_address_and_mail_stops(app, sink):
    """The VERP address names the mail that failed; permanent failures mark its recipient."""
    talk = Conversation(app, sink)
    marked, bounces = 0, sorted((FIXTURES / "bounces").glob("*.eml"))
    for sample in bounces:
        verp = a_mail_to_anna(app, talk) if marked == 0 else _verp_of_last(app)
        # a fresh copy each: two pairs of samples share their Message-ID and sender
        fresh = _new_copy(sample.read_bytes())
        assert app.ingest(fresh, Envelope("", (verp,), "test")) is not None
        process(app)
        with app.store.transaction() as session:
            anna = session.scalar(select(Person).where(Person.email == ANNA))
            if anna.bounced_at is not None:
                marked += 1
                anna.bounced_at, anna.bounce_reason = None, ""
    print(f"{marked} corpus bounces marked the address")
    assert marked == len(bounces) - len(DELAYS | NO_DSN) == 50, \
        f"{marked} corpus bounces were recognised as permanent failures"

    verp = _verp_of_last(app)
    again = (FIXTURES / "bounces" / "sisimai_postfix-01_dsn.eml").read_bytes()  # a new copy: not a duplicate
    assert app.ingest(_new_copy(again), Envelope("", (verp,), "test")) is not None
    process(app)
    with app.store.reading() as session:
        assert session.scalar(select(Person.bounced_at).where(Person.email == ANNA)) is not None
    assert _reminded_anna(app) == 0, "a bouncing address gets no mail"
    assert talk.write(ANNA, HELLO, "HELP", "HELP") == [], "a plain From: proves nothing: still no mail"
    with app.store.reading() as session:
        anna_id = session.scalar(select(Person.id).where(Person.email == ANNA))
    answered = talk.write(ANNA, app.signer.address(Token("reply", "help", 0, anna_id)), "Re: Help", "HELP")
    assert [m.rcpt_tos for m in answered] == [(ANNA,)], "a reply through her token clears the mark"
    with app.store.reading() as session:
        assert session.scalar(select(Person.bounced_at).where(Person.email == ANNA)) is None


def _reminded_anna(app) -> int:
    """Anna's open request waits for her answer for 3 days: a reminder would be due, but she bounces."""
    from datetime import timedelta

    from mailflow.jobs.reminders import remind_requests
    from mailflow.store.models import Mentorship
    mentee = add_person(app, "max@example.org")
    with app.store.transaction() as session:
        anna = session.scalar(select(Person).where(Person.email == ANNA))
        anna.role = "mentor"
        session.add(Mentorship(mentee_id=mentee.id, mentor_id=anna.id, state="requested", request_note="",
                               requested_at=app.clock.now() - timedelta(days=4)))
    before = outbound_count(app)
    remind_requests(app, app.clock.now())
    return outbound_count(app) - before


def _verp_outcome(sample: Path) -> str:
    """What the worker records for the sample at Anna's bounces+ address."""
    if sample.parent.name == "bounces" and sample.stem in DELAYS:
        return f"delay notice for {ANNA}; still trying"
    if sample.parent.name == "bounces" and sample.stem not in NO_DSN:
        return MARKED
    return f"not a bounce (an auto-reply?) for {ANNA}; address kept"


def _verp_of_last(app) -> str:
    with app.store.reading() as session:
        return session.scalar(select(OutboundMessage.envelope_from).where(OutboundMessage.recipient == ANNA)
                              .order_by(OutboundMessage.id.desc()).limit(1))


def _new_copy(raw: bytes) -> bytes:
    """The same mail under a new Message-ID, so ingest stores it again (no duplicate)."""
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    fresh = b"Message-ID: " + make_msgid(domain="copy.example").encode() + newline
    return re.sub(rb"(?im)^message-id:", fresh + b"X-Old-Message-ID:", raw, count=1)
