"""The mails every pipeline benchmark sends: HELP from a distinct address each, as (sender,
Message-ID, bytes)."""
from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.policy import SMTP


def help_mails(count: int, prefix: str = "") -> list[tuple[str, str, bytes]]:
    result = []
    for number in range(count):
        message = EmailMessage()
        message["From"] = f"bench{prefix}{number}@example.org"
        message["To"] = "hello@mentoring.test"
        message["Subject"] = "HELP"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@bench.example>"
        message.set_content("HELP\n")
        result.append((message["From"], message["Message-ID"], message.as_bytes(policy=SMTP)))
    return result
