"""What can become of one letter at the relay, kept apart because each asks for something else:
retry later, give up, send once more not knowing, or simply try again (it never left)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Letter:
    """One mail as the transport needs it."""

    row_id: int
    envelope_from: str
    recipient: str
    raw: bytes


class TemporaryFailure(Exception):
    """Try again later (4xx, connection trouble while this letter was being sent)."""


class PermanentFailure(Exception):
    """The relay refused this letter for good (5xx)."""


class UnknownFate(TemporaryFailure):
    """The connection ended after the message and before the relay's reply: it may have it. Sent
    once more with the same Message-ID, and logged, since that is the one way a letter can arrive
    twice."""


class NotTried(Exception):
    """The letter never reached the relay (the connection failed before its turn): no attempt is
    spent."""
