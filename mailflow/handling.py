"""What becomes of one stored mail, decided inside the worker's transaction: the checks that keep
forged tokens, loops and robots out, who may speak for whom, then the person's flow. The worker
around it only claims, batches and commits."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import Clock
from .config import Settings
from .domain.locks import lock_for_decision
from .flows.bounces import person_wrote_in, record_bounce
from .flows.confirm import check_link
from .flows.context import Context, Inbound
from .outcomes import Outcome, Polite, Refused, done, ignored, refused
from .outgoing.compose import Composer, may_be_ours
from .parsers.authresults import sender_verdict
from .parsers.calendar_relay import relayed_for
from .parsers.calendar_reply import carries_calendar
from .parsers.commands import guess_language, read_command
from .parsers.mime import ParsedMail, parse_mail
from .parsers.reply_text import new_text
from .parsers.robots import classify
from .reasons import Reason, Refusal
from .routing import Recipient, choose_flow, read_recipient
from .store.models import InboundMessage, JobRun, OutboundMessage, Person
from .tokens import COORDINATOR_PURPOSES, ForgedToken, TokenSigner

log = logging.getLogger(__name__)
CONFIRMED = " [confirmed]"
# a YES to a confirmation question counts this long: a request kept in a mailbox for weeks (or found
# in a leaked one) is not carried out long after the moment it was meant for
CONFIRMATION_LIFETIME = timedelta(days=7)


@dataclass
class Turn:
    """What one message's handling did that decides whether its batch goes on."""
    locked: bool = False  # a mentorship is locked for this message's decision


@dataclass
class Handling:
    settings: Settings
    clock: Clock
    signer: TokenSigner
    composer: Composer
    documents: object = None  # outgoing.certificates.DocumentRenderer, shared by all its flows

    def __call__(self, session: Session, row: InboundMessage, mail: ParsedMail | None,
                 turn: Turn) -> Outcome:
        """What becomes of one stored mail. The checks run cheapest and most final first: a
        forged token is refused before anything reads the mail; a mail for none of our addresses,
        and a bounce (which comes from a robot by design), are settled before the robot check;
        our own mail and robots are never answered, which is what keeps loops from starting; only
        then does a person's flow run."""
        mail = mail or parse_mail(row.raw)
        try:
            recipient = read_recipient(self.settings, self.signer, row.envelope_to)
        except ForgedToken as exc:
            return refused(f"forged token from {mail.sender}: {exc}")
        if recipient is None:
            return ignored("not addressed to any of our addresses")
        if recipient.kind == "bounces":
            return done(record_bounce(session, self.clock, recipient.token, mail))
        own = _own_mail(session, mail, self.settings.domain)
        if own:
            return ignored(own)
        automation = classify(mail, row.envelope_from)
        if automation.kind:
            return ignored(f"{automation.kind}, not answered: {automation.reason}")
        if not mail.sender:
            return ignored("no sender address to answer")
        return self._run_flow(session, row, mail, recipient, turn)

    def _run_flow(self, session: Session, row: InboundMessage, mail: ParsedMail,
                  recipient: Recipient, turn: Turn) -> Outcome:
        """Who may speak, then what they said. The trusted MTA's DMARC verdict comes first (a
        fail refuses whatever the token says); a calendar relay is replaced by the person it
        speaks for before the sender is matched to the token's person, so the relay cannot speak
        for anyone else; the flow runs in a savepoint, so a Refused or Polite outcome leaves no
        half-made change behind."""
        verdict = sender_verdict(mail.auth_results, self.settings.trusted_authserv_id, mail.sender)
        if recipient.kind == "meetings":
            relayed = _speaking_for(mail, believed=self._believes_relay(verdict))
            verdict = verdict if relayed is mail else None  # the relay's pass vouches for the relay
            mail = relayed
        problem = self._sender_problem(session, recipient, mail, verdict)
        if problem:
            return refused(problem)
        ctx = self._context(session, row.id, mail, recipient, authenticated=verdict == "pass")
        if mail.unread:  # the parsers' caps: tell the person rather than guess at a part of it
            told = Polite(Reason.MAIL_UNREAD, what=mail.unread)
            ctx.answer(told.template, **told.values)
            return done(f"not read, answered politely: {told}")
        person_wrote_in(ctx)
        # one decision, however many workers
        turn.locked = bool(lock_for_decision(session, ctx.inbound.token, ctx.person))
        flow = choose_flow(ctx.inbound)
        try:
            with session.begin_nested():
                check_link(ctx)
                return done(f"{flow.__module__.rsplit('.', 1)[-1]}.{flow.__name__}: {flow(ctx)}")
        except Refused as exc:
            return refused(str(exc))
        except Polite as exc:
            if not self._first_telling(session, ctx.inbound.sender, exc.reason):
                return done(f"{flow.__name__}: declined, told already today: {exc}")
            ctx.answer(exc.template, **exc.values)
            return done(f"{flow.__name__}: declined politely: {exc}")

    def _first_telling(self, session: Session, address: str, reason: object) -> bool:
        """At most one answer per address, reason and day (Discourse's rule): a person who sends the
        same wrong thing twenty times, or twenty racing copies of one answer, hears of it once.
        Coordinators, and the coordinators' command answers, are always answered."""
        if not isinstance(reason, Reason) or address.lower() in self.settings.coordinators:
            return True
        day = self.clock.now().date().isoformat()
        digest = hashlib.sha256(address.lower().encode()).hexdigest()[:32]
        try:
            with session.begin_nested():
                session.add(JobRun(job="told", key=f"{reason.name}:{day}:{digest}",
                                   ran_at=self.clock.now()))
        except IntegrityError:
            return False
        return True

    def _context(self, session: Session, row_id: int, mail: ParsedMail, recipient: Recipient,
                 authenticated: bool) -> Context:
        row = session.scalar(_PERSON_BY_EMAIL, {"email": mail.sender})
        person = row if row is not None and row.deleted_at is None else None
        text = new_text(mail.text)
        command = read_command(mail.subject, text)
        inbound = Inbound(row_id, mail, recipient.address, recipient.kind, text, command,
                          recipient.token, authenticated, carries_calendar(mail.message))
        language = _language(person, command, f"{mail.subject}\n{text}", self.settings.language)
        return Context(session, self.settings, self.clock, self.signer, self.composer, inbound,
                       person, language, documents=self.documents,
                       replay=lambda inbound_id: self._replay(session, inbound_id, mail.sender),
                       sender_row=(mail.sender, row))

    def _replay(self, session: Session, inbound_id: int, confirmed_by: str) -> str:
        """Run a stored mail's command again, now that its sender confirmed it through a signed
        reply."""
        row = session.get(InboundMessage, inbound_id)
        mail = parse_mail(row.raw) if row else None
        if mail is None or mail.sender != confirmed_by:
            raise Refused(Refusal.CONFIRMED_FOR_OTHERS, sender=confirmed_by)
        if row.outcome.endswith(CONFIRMED):
            raise Polite(Reason.CONFIRMED_BEFORE, inbound=inbound_id)
        if row.received_at <= self.clock.now() - CONFIRMATION_LIFETIME:
            raise Polite(Reason.CONFIRMATION_EXPIRED, inbound=inbound_id)
        row.outcome = row.outcome[: 2000 - len(CONFIRMED)] + CONFIRMED
        recipient = read_recipient(self.settings, self.signer, row.envelope_to)
        ctx = self._context(session, row.id, mail, recipient, authenticated=True)
        flow = choose_flow(ctx.inbound)
        return f"{flow.__name__}: {flow(ctx)}"

    def _believes_relay(self, verdict: str | None) -> bool:
        """Anyone can write From: noreply@email.apple.com; behind a trusted MTA only its DKIM (or
        DMARC) pass for the relay's domain makes it the relay. Without one, the relay's mail is
        believed only for the attendee the signed meetings address belongs to (the caller's
        check)."""
        return verdict == "pass" if self.settings.trusted_authserv_id else True

    def _sender_problem(self, session: Session, recipient: Recipient, mail: ParsedMail,
                        verdict: str | None) -> str:
        """Why this sender may not speak through this address, or "" when they may."""
        if verdict == "fail":
            return f"DMARC failed for {mail.sender} at the trusted receiving MTA"
        token = recipient.token
        if token is not None and token.purpose in COORDINATOR_PURPOSES:
            # which coordinator: checked by the flows, which tell a coordinator why not
            if mail.sender not in self.settings.coordinators:
                return f"{mail.sender}, no coordinator, wrote to a coordinators' address"
            return ""
        if token is None or token.person_id == 0:
            return ""
        owner = session.get(Person, token.person_id)
        if owner is None or owner.deleted_at is not None:
            return f"token for person {token.person_id}, who no longer exists"
        if owner.email != mail.sender:
            return f"{mail.sender} answered through a token sent to {owner.email}"
        return ""




def _own_mail(session: Session, mail: ParsedMail, domain: str) -> str:
    """Why this is our own mail coming back (never to be answered: that is how loops start), or
    "". Our own answer may come back with its RFC 3834 headers stripped; its Message-ID still
    gives it away."""
    sender_domain = (mail.sender or "").rpartition("@")[2]
    if sender_domain == domain or sender_domain.endswith("." + domain):
        return f"from our own domain ({mail.sender}), not answered"
    if may_be_ours(mail.message_id, domain) and session.scalar(
            _OUTBOX_BY_MESSAGE_ID, {"message_id": mail.message_id}):
        return f"our own mail {mail.message_id} came back, not answered"
    return ""


_OUTBOX_BY_MESSAGE_ID = select(OutboundMessage.id).where(
    OutboundMessage.message_id == bindparam("message_id")).limit(1)
_PERSON_BY_EMAIL = select(Person).where(Person.email == bindparam("email"))


def _speaking_for(mail: ParsedMail, *, believed: bool) -> ParsedMail:
    """A calendar service's mail to a meetings address (signed for one attendee, so known only to
    them) as from the person its calendar object names: they are the one who answered, and the one
    to answer. The token's person must then be that person (checked by the caller, as for
    anyone)."""
    person = relayed_for(mail.sender, mail.message)
    if person is None:
        return mail
    if not believed:
        log.warning("calendar mail from %s for %s not believed: no DKIM pass for the relay at the "
                    "trusted MTA", mail.sender, person)
        return mail
    log.info("calendar mail from %s relayed for %s", mail.sender, person)
    return replace(mail, sender=person)




def _language(person: Person | None, command, text: str, default: str) -> str:
    if person is not None:
        return person.language
    if command is not None and command.language:
        return command.language
    return guess_language(text) or default
