"""Signed reply addresses: reply+, meetings+ and bounces+ carry an HMAC so a reply names its
conversation and cannot be forged or answered by anyone but the person it was sent to."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote, urlencode

KINDS = ("reply", "meetings", "bounces")
# What a token's object id is, by its purpose. Purposes are in addresses already sent: never rename
# one. The others: delete (a person), confirm (a stored mail), proposal (a stored batch proposal),
# mentors (0, or the expired request whose mail offers mentors), pulse (a pulse_check row), concern
# (a concern row), apply, coord (the day and the coordinator).
MENTORSHIP_PURPOSES = frozenset({"agree", "request", "end", "meetform", "checkin",
                                 "plan"})  # plan: a person's own meetings+ address
# "series": a recurring series, named by its first occurrence
MEETING_PURPOSES = frozenset({"meeting", "meet", "counter", "feedback", "series"})
AGREEMENT_VERSION_PURPOSES = frozenset({"approve"})
# Tokens whose person field names a coordinator (coordinator_number of their address: coordinators
# are addresses in MAILFLOW_COORDINATORS, not Person rows): the digest's one-click links and a
# coordinator's opt-out of the digest.
COORDINATOR_PURPOSES = frozenset({"coord", "coordout"})
# Tokens whose object field is the day they were made (day_number) and that act only this long:
# a digest's links are kept and forwarded; a deletion confirmed weeks later is not what was meant.
LIFETIMES = {"coord": timedelta(days=14), "delete": timedelta(days=7)}
_EPOCH = date(1970, 1, 1)
_SIGNATURE_CHARS = 20  # hex digits: 80 bits
_LOCAL = re.compile(r"^(reply|meetings|bounces)\+([a-z0-9]{1,12})"  # kind+purpose
                    r"\.(\d{1,12})\.(\d{1,12})\.([0-9a-f]+)$")  # .object.person.signature


class ForgedToken(ValueError):
    """The address looks like one of ours but its signature does not match."""


@dataclass(frozen=True)
class Token:
    """What a signed address says: which kind of address, what for, about what, and for whom."""

    kind: str
    purpose: str
    object_id: int
    person_id: int


class TokenSigner:
    """Makes and checks signed local parts with the programme's secret."""

    def __init__(self, secret: str, domain: str) -> None:
        self._key = secret.encode("utf-8")
        self._domain = domain

    def address(self, token: Token) -> str:
        """The full address for token, e.g. reply+agree.12.7.1f…@domain."""
        if token.kind not in KINDS or not token.purpose.isalnum():
            raise ValueError(f"cannot sign {token!r}")
        body = f"{token.kind}+{token.purpose.lower()}.{token.object_id}.{token.person_id}"
        return f"{body}.{self._sign(body)}@{self._domain}"

    def mailto(self, token: Token, keyword: str, body: str = "") -> str:
        """A one-click mailto: that opens a reply to token with keyword prefilled (the body too,
        where mail clients drop the subject)."""
        query = urlencode({"subject": keyword, "body": body or keyword}, quote_via=quote)
        return f"mailto:{self.address(token)}?{query}"

    def read(self, address: str) -> Token | None:
        """The token in address; None when it is no token address; ForgedToken when its signature is
        wrong."""
        local, _, domain = address.lower().rpartition("@")
        match = _LOCAL.match(local)
        if not match or domain != self._domain:
            return None
        kind, purpose, object_id, person_id, signature = match.groups()
        body = f"{kind}+{purpose}.{object_id}.{person_id}"
        if not hmac.compare_digest(signature, self._sign(body)):
            raise ForgedToken(f"bad signature on {local}")
        return Token(kind, purpose, int(object_id), int(person_id))

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:_SIGNATURE_CHARS]


def day_number(moment: datetime) -> int:
    """The UTC day of moment as a token's object field: days since 1970-01-01."""
    return (moment.astimezone(timezone.utc).date() - _EPOCH).days


def expires_at(token: Token) -> datetime | None:
    """When a dated token stops acting (the end of its day plus its lifetime); None when its
    purpose has no lifetime of its own (its conversation's state says whether it still acts)."""
    lifetime = LIFETIMES.get(token.purpose)
    if lifetime is None:
        return None
    issued = datetime.combine(_EPOCH, datetime.min.time(), timezone.utc)
    return issued + timedelta(days=token.object_id + 1) + lifetime


def coordinator_number(address: str) -> int:
    """A stable number for a coordinator's address, for the person field of their tokens: 36 bits
    of its SHA-256, so no list order or database row is needed. The HMAC signs it with the rest,
    so it can only be compared with a sender's, never chosen."""
    digest = hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()
    return int(digest[:9], 16)


def is_token_local_part(local: str) -> bool:
    """Whether local looks like one of our signed local parts (checked at RCPT time, before the
    signature)."""
    return bool(_LOCAL.match(local.lower()))
