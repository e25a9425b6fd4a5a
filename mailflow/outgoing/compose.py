"""Outgoing mail: templates rendered to a text and an HTML part, threading headers, RFC 3834 marks,
and the outbox row that carries it. Rendering happens inside the cause's transaction, so what
commits is what is sent."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from email import encoders
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.utils import format_datetime, formataddr
from urllib.parse import unquote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..clock import Clock
from ..config import Settings
from ..store.models import OutboundMessage
from ..store.wakeups import QUEUED, announce
from ..tokens import Token, TokenSigner
from .meeting_times import meeting_time
from .wire import UTF8_RECIPIENT, text_part, wire_address, wire_bytes

LANGUAGES = ("de", "en")
# the subject of the mail a client sends to a List-Unsubscribe address (any mail to it counts)
UNSUBSCRIBE_WORD = {"de": "ABBESTELLEN", "en": "UNSUBSCRIBE"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    payload: bytes


@dataclass(frozen=True)
class Thread:
    """The mail we answer, so the answer threads under it in the person's client."""

    message_id: str | None
    references: tuple[str, ...] = ()

    def headers(self) -> tuple[str | None, str | None]:
        if not self.message_id:
            return None, None
        chain = [r for r in self.references if r != self.message_id][-20:] + [self.message_id]
        return self.message_id, " ".join(chain)


@dataclass(frozen=True)
class OutgoingMail:
    """Everything a flow says about a mail to send; the Composer turns it into bytes."""

    template: str
    to: str
    language: str
    to_name: str = ""
    values: dict = field(default_factory=dict)
    reply_token: Token | None = None
    thread: Thread | None = None
    attachments: tuple[Attachment, ...] = ()
    # extra parts of multipart/alternative, e.g. text/calendar
    alternatives: tuple[EmailMessage, ...] = ()
    auto_submitted: str = "auto-generated"
    # bulk mail a person may opt out of: the signed address that opts them out (List-Unsubscribe)
    unsubscribe: Token | None = None


class _OptionalInIf(StrictUndefined):
    """A missing value fails loudly when printed but is simply false in {% if %}: optional values
    stay optional."""

    def __bool__(self) -> bool:
        return False


class Templates:
    """One file per mail per language: <name>.subject.txt, <name>.txt, <name>.html."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("mailflow", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=_OptionalInIf, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True,
            # templates are part of the release: compiled once, never looked up on disk again
            auto_reload=False, cache_size=-1,
        )
        self._chosen: dict[tuple[str, str], tuple] = {}
        self._env.filters["replace_links"] = link_urls
        self._env.filters["day"] = format_day
        self._env.filters["state_word"] = state_word
        self._env.filters["meeting_time"] = meeting_time

    def render(self, name: str, language: str, values: dict) -> tuple[str, str, str]:
        """Subject, text and HTML of mail name in language. A mail without its own HTML template
        gets the text part laid out as HTML (paragraphs, clickable links, forms kept as blocks)."""
        language = language if language in LANGUAGES else "en"
        subject_template, text_template, html_template = self._templates(name, language)
        subject = subject_template.render(values)
        text = text_template.render(values)
        html = html_template.render(values, blocks=text_blocks(text.split("\n-- \n")[0]))
        return " ".join(subject.split()), text, html

    def _templates(self, name: str, language: str) -> tuple:
        """The three compiled templates of a mail, chosen once per name and language."""
        key = (name, language)
        if key not in self._chosen:
            self._chosen[key] = (
                self._env.get_template(f"{language}/{name}.subject.txt"),
                self._env.get_template(f"{language}/{name}.txt"),
                self._env.select_template([f"{language}/{name}.html",
                                           f"{language}/text_as_html.html"]))
        return self._chosen[key]


_URL = re.compile(r"\b(?:mailto:[^\s<>\"]+|https?://[^\s<>\"]+)")


def link_urls(escaped: str) -> str:
    """Make mailto: and web links in already escaped text clickable; a mailto link shows its subject
    word."""
    def anchor(match: re.Match) -> str:
        url = match.group(0)
        shown = _mailto_label(url) or url
        return f'<a href="{url}" style="color:#2d6a4f;font-weight:bold;">{shown}</a>'
    return _URL.sub(anchor, escaped)


def _mailto_label(url: str) -> str | None:
    if not url.startswith("mailto:") or "subject=" not in url:
        return None
    subject = unquote(url.split("subject=", 1)[1].split("&amp;", 1)[0].split("&", 1)[0])
    return f"✉ {subject}"


def format_day(day: date | datetime, language: str) -> str:
    """3.12.2026 for German readers, 2026-12-03 for everyone else."""
    return f"{day.day}.{day.month}.{day.year}" if language == "de" else day.isoformat()[:10]


STATES = {
    "requested": {"de": "angefragt", "en": "requested"},
    "declined": {"de": "abgelehnt", "en": "declined"},
    "accepted": {"de": "angenommen", "en": "accepted"},
    "active": {"de": "aktiv", "en": "active"},
    "ending": {"de": "wird beendet", "en": "ending"},
    "completed": {"de": "abgeschlossen", "en": "completed"},
    "proposed": {"de": "vorgeschlagen", "en": "proposed"},
    "approved": {"de": "zugestimmt", "en": "approved"},
    "changes_requested": {"de": "Änderungen erbeten", "en": "changes requested"},
    "superseded": {"de": "ersetzt", "en": "superseded"},
    "withdrawn": {"de": "ersetzt", "en": "replaced"},
}


def state_word(state: str, language: str) -> str:
    return STATES.get(state, {}).get(language, state)


def text_blocks(text: str) -> list[tuple[str, list[str]]]:
    """The text part as blocks for HTML: ("form", lines) for label/list blocks, ("para", lines)
    otherwise."""
    blocks: list[tuple[str, list[str]]] = []
    for chunk in text.strip("\n").split("\n\n"):
        lines = chunk.strip("\n").splitlines()
        if not lines:
            continue
        kind = "form" if _looks_like_form(lines) else "para"
        blocks.append((kind, lines))
    return blocks


def _looks_like_form(lines: list[str]) -> bool:
    labelled = sum(1 for line in lines if line.startswith("  ") or ": " in line[:60])
    return labelled >= max(2, len(lines) - 1)


class Composer:
    """Builds our mails and puts them in the outbox."""

    def __init__(self, settings: Settings, clock: Clock, signer: TokenSigner,
                 templates: Templates) -> None:
        self._settings = settings
        self._clock = clock
        self._signer = signer
        self._templates = templates

    def queue(self, session: Session, mail: OutgoingMail, *, answers_inbound_id: int | None = None,
              finish=None) -> int:
        """Render mail and add it to the outbox in session's transaction (finish: a last touch to
        the built message, e.g. the digest's inline chart); its row id. The row goes in by a Core
        INSERT at once, not through the ORM's unit of work, which took a tenth of the worker's time
        for this one row."""
        message = self.build(mail)
        if finish is not None:
            message = finish(message)
        now = self._clock.now()
        row_id = outbound_id(session)
        session.connection().execute(_INSERT_OUTBOUND, dict(
            id=row_id, message_id=message["Message-ID"], recipient=mail.to.lower(),
            template=mail.template, answers_inbound_id=answers_inbound_id,
            # the row's id names the envelope sender (VERP): known before the INSERT, so the row
            # goes in whole, in one statement
            envelope_from=self._signer.address(Token("bounces", "out", row_id, 0)),
            raw=wire_bytes(message).replace(
                UTF8_RECIPIENT.encode(), wire_address(mail.to).encode("utf-8"), 1),
            state="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now,
            sent_at=None))
        announce(session, QUEUED)  # dispatchers in other processes: at the commit
        return row_id

    def build(self, mail: OutgoingMail) -> Message:
        """The MIME message: multipart/alternative (text, HTML, any calendar part), wrapped in
        multipart/mixed when there are attachments or calendar parts. Built with email.mime and
        plain string headers: the header-object API of email.policy.default costs ten times as much
        and gains nothing for mail we write."""
        values = {"programme": self._settings.programme, "hello": self._settings.hello_address,
                  "domain": self._settings.domain, "lang": mail.language, "name": mail.to_name,
                  **mail.values}
        subject, text, html = self._templates.render(mail.template, mail.language, values)
        body = MIMEMultipart("alternative", _subparts=[text_part(text, "plain"),
                                                       text_part(html, "html"),
                                                       *mail.alternatives])
        message = body
        if mail.attachments or mail.alternatives:
            attached = [_attachment(a) for a in mail.attachments]
            message = MIMEMultipart("mixed", _subparts=[body, *attached])
        self._set_headers(message, mail, subject)
        return message

    def _set_headers(self, message: Message, mail: OutgoingMail, subject: str) -> None:
        domain = self._settings.domain
        message["From"] = formataddr((self._settings.programme, self._settings.hello_address),
                                     "utf-8")
        message["To"] = formataddr((mail.to_name, wire_address(mail.to, UTF8_RECIPIENT)), "utf-8")
        message["Subject"] = _header(subject, "Subject")
        message["Date"] = format_datetime(self._clock.now())
        message["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"
        if mail.reply_token is not None:
            reply_to = (self._settings.programme, self._signer.address(mail.reply_token))
            message["Reply-To"] = formataddr(reply_to, "utf-8")
        in_reply_to, references = mail.thread.headers() if mail.thread else (None, None)
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
            message["References"] = references
        if mail.unsubscribe is not None:
            self._set_unsubscribe(message, mail)
        message["Auto-Submitted"] = mail.auto_submitted
        # asks Exchange not to send out-of-office notes back
        message["X-Auto-Response-Suppress"] = "All"
        message["Content-Language"] = mail.language

    def _set_unsubscribe(self, message: Message, mail: OutgoingMail) -> None:
        """List-Unsubscribe (RFC 2369) with the signed mailto: that opts the recipient out. No
        List-Unsubscribe-Post: RFC 8058 one-click needs an HTTPS URI in the header (section 3.1),
        and the service answers mail only."""
        word = UNSUBSCRIBE_WORD.get(mail.language, UNSUBSCRIBE_WORD["en"])
        message["List-Unsubscribe"] = Unfolded(f"<{self._signer.mailto(mail.unsubscribe, word)}>")


def outbound_id(session: Session) -> int:
    """The id the next outbox row of session's transaction gets, known before its INSERT (its VERP
    address is signed over it). PostgreSQL: the table's own sequence, safe under any number of
    writers, SPARE_IDS at a time (one round trip for a batch's answers; the ones left unused are
    a gap, as a rolled-back savepoint's are). SQLite: one past the largest id, read once per
    transaction and counted on from there; every SQLite writer holds the one write lock from
    BEGIN IMMEDIATE to COMMIT, and every outbox row is made here, so no other writer can take an
    id meanwhile."""
    connection = session.connection()
    transaction = session.get_transaction()
    known = session.info.get(_OUTBOX_IDS)
    if connection.dialect.name == "postgresql":
        if known is None or known[0] is not transaction or not known[1]:
            known = [transaction, sorted(connection.execute(_NEXT_IDS).scalars())]
            session.info[_OUTBOX_IDS] = known
        return known[1].pop(0)
    if known is None or known[0] is not transaction:
        largest = connection.execute(select(func.max(OutboundMessage.id))).scalar() or 0
        known = [transaction, largest]
    known[1] += 1
    session.info[_OUTBOX_IDS] = known
    return known[1]


_INSERT_OUTBOUND = OutboundMessage.__table__.insert()  # built once: compiled once
SPARE_IDS = 10
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('outbound_message', 'id')) "
                 f"FROM generate_series(1, {SPARE_IDS})")
# session.info: (transaction, the last id it handed out) on SQLite, (transaction, the ids it may
# still hand out) on PostgreSQL
_OUTBOX_IDS = "mailflow.outbox_ids"


# the shape of every Message-ID _set_headers has ever written: <uuid4 hex@domain>
_OUR_MESSAGE_ID = re.compile(r"<[0-9a-f]{32}@")


def may_be_ours(message_id: str | None, domain: str) -> bool:
    """Whether message_id has the shape of ours under domain; any other need not be looked for in
    the outbox. Many clients write <uuid4 hex@their domain>, so the domain is what sets ours apart
    (one written under an earlier MAILFLOW_DOMAIN is no longer recognised by it)."""
    value = (message_id or "").lower()
    return value.endswith(f"@{domain.lower()}>") and bool(_OUR_MESSAGE_ID.match(value))


class Unfolded:
    """A header value that is one token longer than a line (a mailto: URI): compat32 would start
    it on a continuation line, which some readers show as a leading space or misread; RFC 5322
    allows 998 characters on a line, so it goes out unfolded. compat32 takes any object with
    encode() as a Header."""

    def __init__(self, value: str) -> None:
        self.value = value

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        return self.value

    def __str__(self) -> str:
        return self.value


def _attachment(item: Attachment) -> MIMEBase:
    maintype, subtype = item.content_type.split("/", 1)
    part = MIMEBase(maintype, subtype, name=item.filename)
    part.set_payload(item.payload)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=item.filename)
    return part


def _header(value: str, name: str) -> str | Header:
    """A Header that knows its field name, so a long encoded value is split into encoded words from
    the first line on ("Subject: =?utf-8?q?...?=") instead of starting on a continuation line, which
    clients show as a leading space."""
    return value if value.isascii() else Header(value, "utf-8", header_name=name)
