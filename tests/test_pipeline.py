"""The whole path on both databases: a person writes HELP, gets a correct, threaded answer in their language."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from mailflow.parsers.commands import Keyword, read_command
from mailflow.routing import HELLO
from mailflow.store.models import InboundMessage, OutboundMessage

from .support.mails import add_person, person_mail, process, store_mail


def test_help_in_english_is_answered_threaded_with_text_and_html(app, sink):
    question = person_mail("Ann Example <ann@example.org>", "hello@mentoring.test", "HELP", "")
    store_mail(app, question)
    process(app)

    [answer] = sink.wait_for(1)
    message = answer.message
    assert answer.rcpt_tos == ("ann@example.org",)
    assert message["In-Reply-To"] == question["Message-ID"]
    assert question["Message-ID"] in message["References"]
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Message-ID"].endswith("@mentoring.test>")
    assert answer.mail_from.startswith("bounces+") and answer.mail_from.endswith("@mentoring.test")
    assert "how it works" in message["Subject"]
    assert "MENTORS" in answer.text() and "PROFILE" in answer.text()
    assert "mailto:hello@mentoring.test?subject=MENTORS" in answer.html()


def test_hilfe_is_answered_in_german(app, sink):
    store_mail(app, person_mail("berta@example.de", "hello@mentoring.test", "Frage", "Hilfe\n\nViele Grüße\nBerta"))
    process(app)

    [answer] = sink.wait_for(1)
    assert "so funktioniert es" in answer.message["Subject"]
    assert "MENTOREN" in answer.text()
    assert answer.message["Content-Language"] == "de"


@pytest.mark.parametrize("word", ["HELP", "HILFE"])
def test_the_help_lists_every_command_hello_understands(app, sink, word):
    """Each word the help lists does something at hello@, and nothing hello@ does is missing from it."""
    store_mail(app, person_mail("ann@example.org", "hello@mentoring.test", word, ""))
    process(app)

    [answer] = sink.wait_for(1)
    listed = re.findall(r"^  (\S+)", answer.text(), flags=re.MULTILINE)
    assert {read_command(word, "").keyword for word in listed} == set(HELLO) - {Keyword.APPLY}
    for word in listed:
        assert f"subject={word}" in answer.html().replace("%C3%9C", "Ü").replace("%C3%96", "Ö")


def test_gibberish_from_a_participant_gets_the_short_help_naming_what_we_read(app, sink):
    add_person(app, "carl@example.org")
    store_mail(app, person_mail("carl@example.org", "hello@mentoring.test", "hi there",
                                "Could you tell me what this is about?"))
    process(app)

    [answer] = sink.wait_for(1)
    assert "did not understand" in answer.message["Subject"]
    assert "Could you tell me what this is about?" in answer.text()
    # the short help itself, not the footer (every mail names HELP there)
    assert "  HELP           this overview" in answer.text().splitlines()


def test_a_stranger_writing_anything_gets_the_application_form(app, sink):
    store_mail(app, person_mail("Nina Neu <nina@example.org>", "hello@mentoring.test", "Hallo",
                                "Ich würde gern mitmachen, wie geht das?"))
    process(app)

    [answer] = sink.wait_for(1)
    assert answer.message["Subject"] == "Ihre Anmeldung bei Mentoring Test"
    assert "Rolle / Role:" in answer.text() and "Name: Nina Neu" in answer.text()
    assert answer.message["Reply-To"].addresses[0].addr_spec.startswith("reply+apply.")


def test_the_same_message_twice_is_answered_once(app, sink):
    question = person_mail("dora@example.org", "hello@mentoring.test", "HELP", "")
    assert store_mail(app, question) is not None
    assert store_mail(app, question) is None
    process(app)

    with app.store.transaction() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 1
        assert session.scalar(select(func.count(OutboundMessage.id))) == 1
    assert len(sink.wait_for(1)) == 1


def test_answers_per_address_are_limited_per_hour(app, sink):
    for number in range(app.settings.auto_reply_limit + 3):
        store_mail(app, person_mail("eager@example.org", "hello@mentoring.test", "HELP", f"try {number}"))
    process(app)

    with app.store.transaction() as session:
        answers = session.scalar(select(func.count(OutboundMessage.id)))
        states = set(session.scalars(select(InboundMessage.state)))
    assert answers == app.settings.auto_reply_limit
    assert states == {"done"}


def test_the_hourly_limit_counts_a_mailbox_whatever_its_plus_tag(app, sink):
    """victim+0@ … victim+19@ are one mailbox: twenty HELPs give it as many answers as the limit, no more."""
    for number in range(20):
        store_mail(app, person_mail(f"victim+{number}@example.org", "hello@mentoring.test", "HELP", "help"))
    store_mail(app, person_mail("victim_x@example.org", "hello@mentoring.test", "HELP", "someone else"))
    process(app)
    delivered = sink.wait_for(app.settings.auto_reply_limit + 1)
    assert sum(m.rcpt_tos[0].startswith("victim+") for m in delivered) == app.settings.auto_reply_limit
    assert ("victim_x@example.org",) in {m.rcpt_tos for m in delivered}, "another mailbox is not counted"
