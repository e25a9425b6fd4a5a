"""Our mails' bytes come from a trimmed copy of compat32's generator (wire.wire_bytes): what
goes out must be what message.as_bytes(policy=WIRE) writes, byte for byte, for every kind of mail
we build: ASCII and non-ASCII subjects and names, long folded References, a UTF-8 recipient, a
List-Unsubscribe longer than a line, attachments and calendar parts."""
from __future__ import annotations

import copy
import random
from datetime import datetime, timezone
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from mailflow.clock import FixedClock
from mailflow.config import load_settings
from mailflow.outgoing.compose import Attachment, Composer, OutgoingMail, Templates, Thread
from mailflow.outgoing.wire import WIRE, wire_bytes
from mailflow.tokens import Token, TokenSigner

REFERENCES = tuple(f"<{n:04d}.{'x' * 30}@client.example>" for n in range(25))


@pytest.fixture(scope="module")
def composer(tmp_path_factory) -> Composer:
    home = tmp_path_factory.mktemp("home")
    settings = load_settings({"MAILFLOW_HOME": str(home), "MAILFLOW_DOMAIN": "mentoring.test",
                              "MAILFLOW_SECRET": "wire"}, toml_path=Path(home) / "absent.toml")
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
    return Composer(settings, clock, TokenSigner("wire", "mentoring.test"), Templates())


MAILS = [
    OutgoingMail("help", "ann@example.org", "en", "Ann"),
    OutgoingMail("help", "jörg@exämple.de", "de", "Jörg Müller-Lüdenscheidt"),
    OutgoingMail("not_understood", "bob+tag@example.org", "en", "Bob \"the\" Builder",
                 values={"heard": "x" * 80}, thread=Thread("<q@client.example>", REFERENCES),
                 reply_token=Token("reply", "agree", 12, 7),
                 unsubscribe=Token("reply", "optout", 3, 7)),
    OutgoingMail("not_understood", "zoë@example.org", "de", "",
                 values={"heard": "Grüße " * 20}, thread=Thread("<q@client.example>")),
    OutgoingMail("help", "cal@example.org", "en", "Cal",
                 attachments=(Attachment("plan.pdf", "application/pdf", bytes(range(256)) * 9),),
                 alternatives=(MIMEText("BEGIN:VCALENDAR\nEND:VCALENDAR\n", "calendar"),)),
]


@pytest.mark.parametrize("mail", MAILS, ids=lambda mail: f"{mail.template}-{mail.to}")
def test_wire_bytes_are_what_compat32_writes(composer, mail):
    for seed in range(5):
        message = composer.build(mail)
        twin = copy.deepcopy(message)  # flattening sets a message's boundaries: one each
        random.seed(seed)  # the same boundaries for both
        expected = twin.as_bytes(policy=WIRE)
        random.seed(seed)
        assert wire_bytes(message) == expected
