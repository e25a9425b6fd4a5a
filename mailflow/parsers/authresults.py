"""Reading Authentication-Results (RFC 8601) from the receiving MTA we trust: did DMARC or DKIM vouch for From?"""
from __future__ import annotations

import re

_RESULT = re.compile(r"\b(dmarc|dkim|spf)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.from|header\.d|header\.i)\s*=\s*([^\s;]+)", re.IGNORECASE)


def sender_verdict(headers: tuple[str, ...], trusted_authserv_id: str | None, sender: str) -> str | None:
    """"pass" when the trusted MTA's DMARC (or aligned DKIM) passed for sender's domain, "fail" when DMARC
    failed, None when the trusted MTA said nothing about it. Headers from other hosts are ignored: anyone can
    write an Authentication-Results header into their own mail."""
    if not trusted_authserv_id or "@" not in sender:
        return None
    domain = sender.rpartition("@")[2].lower()
    for header in headers:
        authserv, _, results = header.partition(";")
        if authserv.strip().lower().split()[:1] != [trusted_authserv_id.lower()]:
            continue
        return _verdict(results, domain)
    return None


def _verdict(results: str, domain: str) -> str | None:
    verdict = None
    for method, result, rest in _RESULT.findall(results):
        props = {k.lower(): v.strip('"').lower() for k, v in _PROPERTY.findall(rest)}
        aligned = _aligned(props, domain)
        method, result = method.lower(), result.lower()
        if method == "dmarc" and result == "fail" and aligned is not False:
            return "fail"
        if method in ("dmarc", "dkim") and result == "pass" and aligned:
            verdict = "pass"
    return verdict


def _aligned(props: dict[str, str], domain: str) -> bool | None:
    signer = props.get("header.from") or props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
    if not signer:
        return None
    return domain == signer or domain.endswith("." + signer)
