"""Reading Authentication-Results (RFC 8601) from the receiving MTA we trust: did DMARC or DKIM
vouch for the sender?

Anyone can write an Authentication-Results header into their own mail, naming any authserv-id, ours
too. The MTA is to remove such headers on the way in (the README's `header_checks` rule for
Postfix); this reader is a second line of defence that goes by where headers stand. A receiving
MTA adds its results on top: Postfix's milters insert theirs above even Postfix's own Received
header, the last milter's uppermost, so a mail reaches us as

    Authentication-Results: mx.ours; dmarc=pass (p=reject dis=none) header.from=example.org
    Authentication-Results: mx.ours; dkim=pass (2048-bit key; unprotected) header.d=example.org …
    Received: from … by mx.ours (Postfix) …
    …whatever the sender wrote, forged Authentication-Results too…

So only the trusted headers on top count (reading stops at the first from another authserv-id),
and of those the topmost with a DMARC result decides; DKIM is read only where none gives a DMARC
result (an MTA with OpenDKIM alone). A header the sender wrote lies below the MTA's own: it cannot
win over them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_EQUALS = re.compile(r"\s*=\s*")


@dataclass(frozen=True)
class _Result:
    method: str                # "dmarc", "dkim", "spf", … (the method's version dropped)
    result: str                # "pass", "fail", "none", …
    properties: dict[str, str]  # "header.from", "header.d", "header.i", … lower-cased, unquoted


def sender_verdict(headers: tuple[str, ...], trusted_authserv_id: str | None,
                   sender: str) -> str | None:
    """"pass" when the trusted MTA's DMARC (or, without DMARC, an aligned DKIM signature) passed
    for the sender's domain, "fail" when its DMARC failed, None when it said nothing about it.
    headers are the Authentication-Results values in the order they stand in the mail, topmost
    first."""
    if not trusted_authserv_id or "@" not in sender:
        return None
    domain = sender.rpartition("@")[2].lower()
    ours = _on_top(headers, trusted_authserv_id.lower())
    for method in ("dmarc", "dkim"):
        for results in ours:
            mine = [result for result in results if result.method == method]
            if mine:
                return _dmarc(mine, domain) if method == "dmarc" else _dkim(mine, domain)
    return None


def _on_top(headers: tuple[str, ...], authserv_id: str) -> list[list[_Result]]:
    """The results of the headers above any from another authserv-id: the ones our MTA added."""
    ours = []
    for header in headers:
        parsed = _parsed(header)
        if parsed is None or parsed[0] != authserv_id:
            break
        ours.append(parsed[1])
    return ours


def _dmarc(results: list[_Result], domain: str) -> str | None:
    """A verdict about another From domain than the one we read is a fail: the MTA and we disagree
    on who sent the mail (a From header built to be read two ways), so nobody is vouched for."""
    for result in results:
        aligned = _aligned(result.properties, domain)
        if aligned is False or result.result == "fail":
            return "fail"
        if result.result == "pass" and aligned:
            return "pass"
    return None


def _dkim(results: list[_Result], domain: str) -> str | None:
    """An aligned valid signature vouches; a broken one proves nothing (lists and forwarders break
    signatures)."""
    if any(result.result == "pass" and _aligned(result.properties, domain) for result in results):
        return "pass"
    return None


def _aligned(props: dict[str, str], domain: str) -> bool | None:
    signer = (props.get("header.from") or props.get("header.d")
              or props.get("header.i", "").rpartition("@")[2])
    if not signer:
        return None
    return domain == signer or domain.endswith("." + signer)


def _parsed(header: str) -> tuple[str, list[_Result]] | None:
    """(authserv-id, results) of one header value, or None when it has no authserv-id."""
    authserv, *resinfos = _resinfos(header)
    identity = authserv.split()[:1]  # an authserv-id may be followed by a version: "mx.ours 1"
    if not identity:
        return None
    results = []
    for resinfo in resinfos:
        tokens = _EQUALS.sub("=", resinfo).split()
        method, equals, result = tokens[0].partition("=") if tokens else ("", "", "")
        if not equals:  # "none": no method was applied
            continue
        properties = {}
        for token in tokens[1:]:
            key, equals, value = token.partition("=")
            if equals:
                properties.setdefault(key.lower(), value.strip('"').lower())
        results.append(_Result(method.split("/")[0].lower(), result.lower(), properties))
    return identity[0].lower(), results


def _resinfos(text: str) -> list[str]:
    """text split at each ';' outside quoted strings, its (nested) comments dropped: a comment may
    hold anything, even ';' ("dkim=pass (2048-bit key; unprotected) header.d=…")."""
    parts, current, depth, quoted, escaped = [], [], 0, False, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and not depth:
            quoted = not quoted
        elif char in "()" and not quoted:
            depth = depth + 1 if char == "(" else max(depth - 1, 0)
            current.append(" ")
            continue
        elif char == ";" and not quoted and not depth:
            parts.append("".join(current))
            current = []
            continue
        if not depth:
            current.append(char)
    return [*parts, "".join(current)]
