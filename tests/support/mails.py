"""Building and sending test mails the way a person's client would."""
from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from sqlalchemy import select

from mailflow.app import App
from mailflow.domain.people import new_person
from mailflow.ingest import Envelope, unspool
from mailflow.store.models import InboundMessage, Person


def person_mail(sender: str, to: str, subject: str, body: str, *, message_id: str | None = None,
                in_reply_to: str | None = None, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def smtp_send(app_or_port, message: EmailMessage | bytes, sender: str, recipients: list[str]) -> None:
    """Deliver through the real SMTP receiver, as an MTA would."""
    port = app_or_port if isinstance(app_or_port, int) else app_or_port.settings.smtp_host_port[1]
    international = not sender.isascii()
    policy = SMTP.clone(utf8=True) if international else SMTP
    raw = message if isinstance(message, bytes) else message.as_bytes(policy=policy)
    raw = re.sub(rb"\r?\n", b"\r\n", raw)  # SMTP carries CRLF lines; smtplib sends bytes as they are
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.sendmail(sender, recipients, raw, mail_options=["SMTPUTF8"] if international else [])


def store_mail(app: App, message: EmailMessage | bytes, *, sender: str | None = None,
               recipients: list[str] | None = None) -> int | None:
    """Hand a mail straight to ingest (the step both receivers call), for tests about what comes after."""
    raw = message if isinstance(message, bytes) else message.as_bytes()
    if sender is None and not isinstance(message, bytes):
        sender = message["From"]
    recipients = recipients or [message["To"]]
    return app.ingest(raw, Envelope(sender or "", tuple(recipients), "test"))


def taken(store) -> list[InboundMessage]:
    """Every mail the store took, as inbound rows: what waits in SQLite's spool is moved in first,
    as a worker does before its batch."""
    unspool(store)
    with store.transaction() as session:  # committed, the rows stay readable (a read rolls back)
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def process(app: App) -> None:
    """Run the worker and the dispatcher until both have nothing left."""
    app.worker.drain()
    app.dispatcher.drain()


def add_person(app: App, email: str, language: str = "en", role: str = "mentee", name: str = "") -> Person:
    """A participant as an import would leave them."""
    with app.store.transaction() as session:
        person = new_person(session, app.settings, email=email, name=name or email.split("@")[0].title(),
                            role=role, now=app.clock.now())
        person.language = language
    return person
