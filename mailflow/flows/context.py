"""What a flow gets to work with: the inbound mail as facts, the person who sent it, and ways to
answer."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import quote, urlencode

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..clock import Clock
from ..config import Settings
from ..domain.people import bounces
from ..outgoing.compose import Attachment, Composer, OutgoingMail, Thread
from ..parsers.commands import Command
from ..parsers.mime import ParsedMail
from ..store.models import OutboundMessage, Person
from ..tokens import Token, TokenSigner

log = logging.getLogger("mailflow.flows")


@dataclass(frozen=True)
class Inbound:
    """One received mail as the flows see it: facts only, no MIME."""

    row_id: int
    mail: ParsedMail
    recipient: str      # which of our addresses it was sent to
    address_kind: str   # hello | coordinators | reply | meetings | bounces
    new_text: str       # what the person wrote, quotes and signature removed
    command: Command | None
    token: Token | None
    authenticated: bool  # the receiving MTA vouched for the sender (DMARC/DKIM pass)
    # a calendar object is attached or inline (an invitation, an answer)
    carries_calendar: bool = False

    @property
    def sender(self) -> str:
        return self.mail.sender or ""

    @property
    def thread(self) -> Thread:
        return Thread(self.mail.message_id, self.mail.references)


@dataclass
class Context:
    """A flow's handle on the world for one mail, inside that mail's transaction."""

    session: Session
    settings: Settings
    clock: Clock
    signer: TokenSigner
    composer: Composer
    inbound: Inbound
    person: Person | None
    language: str
    documents: object = None  # outgoing.certificates.DocumentRenderer: the PDFs
    # run a stored mail again, now that its sender confirmed it
    replay: Callable[[int], str] = lambda inbound_id: "nothing to replay"
    # the sender's address as looked up and its person row (deleted or not; None: there is none),
    # which says whether the address bounces without asking again (see _bounces)
    sender_row: tuple[str, Person | None] | None = None

    def answer(self, template: str, reply_token: Token | None = None,
               attachments: tuple[Attachment, ...] = (), **values) -> None:
        """Answer the sender of the inbound mail, threaded under it (with attachments, if any),
        unless that would be one answer too many (coordinators are never limited: a busy
        coordinator is not a mail loop)."""
        to = self.inbound.sender
        limited = to.lower() not in self.settings.coordinators  # operators at work, not a loop
        if limited and self._answers_in_last_hour(to) >= self.settings.auto_reply_limit:
            log.warning("not answering %s with %s: %d answers in the last hour", to, template,
                        self.settings.auto_reply_limit)
            return
        name = self.person.name if self.person else self.inbound.mail.sender_name
        values.setdefault("name", name)
        self.send(OutgoingMail(template=template, to=to, to_name=name, language=self.language,
                               values=values, reply_token=reply_token, thread=self.inbound.thread,
                               attachments=attachments, auto_submitted="auto-replied"),
                  answers=True)

    def send(self, mail: OutgoingMail, answers: bool = False) -> None:
        """Queue mail in the outbox (sent after commit), never to an address known to bounce."""
        if self._bounces(mail.to):
            log.info("not sending %s to %s: the address bounces", mail.template, mail.to)
            return
        answered = self.inbound.row_id if answers else None
        self.composer.queue(self.session, mail, answers_inbound_id=answered)

    def _bounces(self, address: str) -> bool:
        """Whether address is known to bounce. For the sender, their person row read for this mail
        says so: a person's address is never changed and only a bounce (never a flow) marks it, so
        what this transaction did to the row shows in the loaded object; anyone else's, asked."""
        if self.sender_row is not None and self.sender_row[0] == address.lower():
            row = self.sender_row[1]
            return row is not None and row.bounced_at is not None
        return bounces(self.session, address)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def token_for(self, purpose: str, object_id: int, person: Person | None) -> Token:
        """A reply address for purpose about object_id that only person may use (anyone, for
        None)."""
        return Token("reply", purpose, object_id, person.id if person else 0)

    def link(self, token: Token, keyword: str, body: str = "") -> str:
        """A one-click mailto: that opens a reply to token with keyword prefilled."""
        return self.signer.mailto(token, keyword, body)

    def hello_link(self, keyword: str) -> str:
        query = urlencode({"subject": keyword}, quote_via=quote)
        return f"mailto:{self.settings.hello_address}?{query}"

    def mail_to(self, person: Person, template: str, **fields) -> OutgoingMail:
        """A mail to a participant in their own language (replace() it to add tokens or
        attachments)."""
        return replace(OutgoingMail(template=template, to=person.email, to_name=person.name,
                                    language=person.language), **fields)

    def _answers_in_last_hour(self, address: str) -> int:
        """Answers to the mailbox behind address in the last hour: victim+1@ and victim+2@ are
        one mailbox, so the limit counts them together (a +tag would otherwise make twenty
        addresses of one)."""
        local, _, domain = address.lower().rpartition("@")
        base = local.split("+", 1)[0]
        since = self.clock.now() - timedelta(hours=1)
        return self.session.scalar(_ANSWERS_SINCE, {
            "exact": f"{base}@{domain}", "low": f"{base}+", "high": f"{base},",
            "domain": f"%@{_like(domain)}", "since": since}) or 0


def _answers_since():
    """Answers to one mailbox since a moment, built once (its values are bound per call)."""
    recipient = OutboundMessage.recipient
    # base+anything sorts from "base+" to just before "base," ("," follows "+"): a range the
    # (recipient, created_at) index serves, where a LIKE would scan the whole outbox
    tagged = and_(recipient >= bindparam("low"), recipient < bindparam("high"),
                  recipient.like(bindparam("domain"), escape="\\"))
    return select(func.count(OutboundMessage.id)).where(
        or_(recipient == bindparam("exact"), tagged),
        OutboundMessage.created_at >= bindparam("since"),
        OutboundMessage.answers_inbound_id.is_not(None))


_ANSWERS_SINCE = _answers_since()


def _like(text: str) -> str:
    """text as a literal inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
