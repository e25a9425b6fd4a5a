"""Playing people who answer our mails from real clients: each quoting style as the clients write it."""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from mailflow.app import App
from mailflow.jobs.scheduler import run_due

from .mails import process, smtp_send, store_mail
from .sink import Received, SmtpSink


def quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


# Each style takes (what the person writes, the original text, the original's headers) and returns the body.
STYLES = {
    "gmail": lambda new, old, h: f"{new}\n\nOn Tue, Dec 1, 2026 at 10:00 AM {h['From']} wrote:\n\n{quoted(old)}\n",
    "apple": lambda new, old, h: f"{new}\n\n> On 1 Dec 2026, at 10:00, {h['From']} wrote:\n> \n{quoted(old)}\n",
    "thunderbird": lambda new, old, h: f"On 01.12.26 10:00, {h['From']} wrote:\n{quoted(old)}\n\n{new}\n",
    "outlook": lambda new, old, h: (f"{new}\n\n________________________________\nFrom: {h['From']}\n"
                                    f"Sent: Tuesday, December 1, 2026 10:00 AM\nTo: {h['To']}\n"
                                    f"Subject: {h['Subject']}\n\n{old}\n"),
    "de_gmail": lambda new, old, h: (f"{new}\n\nAm Di., 1. Dez. 2026 um 10:00 Uhr schrieb {h['From']}:\n\n"
                                     f"{quoted(old)}\n"),
    "de_outlook": lambda new, old, h: (f"{new}\n\n-----Ursprüngliche Nachricht-----\nVon: {h['From']}\n"
                                       f"Gesendet: Dienstag, 1. Dezember 2026 10:00\nAn: {h['To']}\n"
                                       f"Betreff: {h['Subject']}\n\n{old}\n"),
    "de_apple": lambda new, old, h: f"{new}\n\nAm 01.12.2026 um 10:00 schrieb {h['From']}:\n\n{quoted(old)}\n",
}


class Conversation:
    """Mail in through ingest, everything processed, mail out read back from the real SMTP sink."""

    def __init__(self, app: App, sink: SmtpSink, smtp_port: int | None = None) -> None:
        """With smtp_port, every mail goes in through the real SMTP receiver on that port."""
        self.app, self.sink, self.smtp_port = app, sink, smtp_port
        self._seen = 0

    def write(self, sender: str, to: str, subject: str, body: str, *, html: str | None = None,
              attachments: tuple[tuple[str, str, bytes], ...] = (), in_reply_to: str | None = None,
              **headers: str) -> list[Received]:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message["Message-ID"] = make_msgid(domain="client.example")
        if in_reply_to:
            message["In-Reply-To"] = message["References"] = in_reply_to
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        if html is not None and not body:
            message.set_content(html, subtype="html")
        else:
            message.set_content(body)
            if html is not None:
                message.add_alternative(html, subtype="html")
        for filename, content_type, payload in attachments:
            maintype, subtype = content_type.split("/")
            message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
        self.deliver(message, sender.split("<")[-1].strip(">"), to)
        return self.new_mail()

    def deliver(self, message: EmailMessage | bytes, sender: str, to: str) -> None:
        """One mail in, through SMTP or straight to ingest."""
        if self.smtp_port is not None:
            smtp_send(self.smtp_port, message, sender, [to])
        else:
            store_mail(self.app, message, sender=sender, recipients=[to])

    def reply(self, to_mail: Received, sender: str, new: str, style: str = "gmail") -> list[Received]:
        """Answer to_mail the way a person does: to its Reply-To, 'Re:' subject, the original quoted."""
        original = to_mail.message
        body = STYLES[style](new, to_mail.text(), original)
        return self.write(sender, _address(original["Reply-To"] or original["From"]),
                          f"Re: {original['Subject']}", body, in_reply_to=original["Message-ID"])

    def new_mail(self) -> list[Received]:
        """Mail sent since the last look."""
        process(self.app)
        received = self.sink.received[self._seen:]
        self._seen = len(self.sink.received)
        return received


def _address(header: str) -> str:
    return header.split("<")[-1].strip(">").strip() if "<" in header else header.strip()


def one_to(mails: list[Received], address: str) -> Received:
    found = [m for m in mails if m.rcpt_tos == (address,)]
    assert len(found) == 1, f"expected one mail to {address}, got {[(m.rcpt_tos, m.message['Subject']) for m in mails]}"
    return found[0]


def jobs_at(talk: Conversation, clock, moment: datetime) -> list[Received]:
    """Every due job at moment, twice (the second pass must send nothing); what was sent."""
    clock.set(moment)
    run_due(talk.app, moment)
    sent = talk.new_mail()
    run_due(talk.app, moment)
    assert talk.new_mail() == [], "a second pass at the same moment sent mail again"
    return sent


def said(mail: Received) -> str:
    """The text part as one line: the words, whatever the line breaks."""
    return " ".join(mail.text().split())
