"""Signed reply addresses: reply+, meetings+ and bounces+ carry an HMAC so a reply names its
conversation and cannot be forged or answered by anyone but the person it was sent to."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

KINDS = ("reply", "meetings", "bounces")
# What a token's object id is, by its purpose. Purposes are in addresses already sent: never rename
# one. The others: delete (a person), confirm (a stored mail), apply, mentors, coord (nothing: 0).
MENTORSHIP_PURPOSES = frozenset({"agree", "request", "end", "meetform", "checkin",
                                 "plan"})  # plan: a person's own meetings+ address
# "series": a recurring series, named by its first occurrence
MEETING_PURPOSES = frozenset({"meeting", "meet", "counter", "feedback", "series"})
AGREEMENT_VERSION_PURPOSES = frozenset({"approve"})
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


def is_token_local_part(local: str) -> bool:
    """Whether local looks like one of our signed local parts (checked at RCPT time, before the
    signature)."""
    return bool(_LOCAL.match(local.lower()))
