"""Bounces that come back to a bounces+ address: the VERP token names the mail that failed and so
its recipient."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import Clock
from ..parsers.bounce_reports import bounce_report
from ..parsers.mime import ParsedMail
from ..store.models import OutboundMessage, Person
from ..tokens import Token

log = logging.getLogger(__name__)


def record_bounce(session: Session, clock: Clock, token: Token, mail: ParsedMail) -> str:
    """Mark the address a permanent failure names, so nothing more is sent to it until it is
    fixed."""
    outbound = session.get(OutboundMessage, token.object_id)
    if outbound is None:
        return "bounce for an unknown outbound mail"
    report = bounce_report(mail)
    if report is None:
        return f"not a bounce (an auto-reply?) for {outbound.recipient}; address kept"
    if not report.permanent:
        return f"delay notice for {outbound.recipient}; still trying"
    person = session.scalar(select(Person).where(Person.email == outbound.recipient))
    reason = f"{report.status or ''} {report.diagnostic}"
    if person is None:
        return f"bounce for {outbound.recipient}, who is no participant"
    if person.bounced_at is None:
        person.bounced_at = clock.now()
        person.bounce_reason = reason.strip()[:500]
        log.warning("address %s bounces: %s", person.email, person.bounce_reason)
    return f"bounce: {person.email} marked"


def person_wrote_in(ctx) -> None:
    """A person whose address bounced writes to us verifiably (a reply through a token of theirs,
    or DMARC pass at the trusted MTA; robots never get here): the address works again. A plain
    mail with a From: alone does not count, as anyone can write that."""
    person, token = ctx.person, ctx.inbound.token
    if person is None or person.bounced_at is None:
        return
    if ctx.inbound.authenticated or (token is not None and token.person_id == person.id):
        log.info("address %s works again: its owner wrote in", person.email)
        person.bounced_at, person.bounce_reason = None, ""
