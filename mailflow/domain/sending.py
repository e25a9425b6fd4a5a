"""Sending from the rules flows and jobs share: a Send puts one mail in the outbox inside the
caller's transaction (it leaves after commit), and never to an address known to bounce. The one
place that rule lives."""
from __future__ import annotations

import logging
from typing import Callable, Protocol

from sqlalchemy.orm import Session

from ..outgoing.compose import OutgoingMail
from ..store.models import OutboundMessage
from .people import bounces

log = logging.getLogger(__name__)

Send = Callable[[OutgoingMail], None]


class Outbox(Protocol):
    def queue(self, session: Session, mail: OutgoingMail, **options) -> OutboundMessage: ...


def outbox(composer: Outbox, session: Session) -> Send:
    """A Send into the outbox of session's transaction."""
    def send(mail: OutgoingMail) -> None:
        if bounces(session, mail.to):
            log.info("not sending %s to %s: the address bounces", mail.template, mail.to)
            return
        composer.queue(session, mail)
    return send
