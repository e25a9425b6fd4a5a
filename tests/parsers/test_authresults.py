"""Whose word counts in Authentication-Results: only the trusted MTA's, and only the headers it put
on top.

The headers below are as Postfix with OpenDMARC and OpenDKIM wrote them in test_behind_postfix.py
(the milters insert above Postfix's own Received header, OpenDMARC's uppermost), followed by what
the sender wrote, had Postfix's header_checks not removed it."""
from __future__ import annotations

import pytest

from mailflow.parsers.authresults import sender_verdict

OURS = "mx.mentoring.test"
DMARC_PASS = f"{OURS}; dmarc=pass (p=reject dis=none) header.from=example.org"
DMARC_FAIL = f"{OURS}; dmarc=fail (p=reject dis=none) header.from=example.org"
DMARC_NONE = f"{OURS}; dmarc=none (p=none dis=none) header.from=example.net"
DKIM_PASS = (f"{OURS}; dkim=pass (2048-bit key; unprotected) header.d=example.org "
             "header.i=@example.org header.a=rsa-sha256 header.s=test header.b=QeOq6ij5; "
             "dkim-atps=neutral")


def verdict(*headers: str, sender: str = "zoe@example.org",
            trusted: str | None = OURS) -> str | None:
    return sender_verdict(headers, trusted, sender)


def test_dmarc_pass_from_the_trusted_mta_vouches_for_the_sender():
    assert verdict(DMARC_PASS, DKIM_PASS) == "pass"


def test_dmarc_fail_from_the_trusted_mta_is_a_fail():
    assert verdict(DMARC_FAIL) == "fail"


def test_a_dkim_verdict_alone_counts_where_the_mta_gives_no_dmarc_verdict():
    """An MTA with OpenDKIM only: its comment holds a ';', which must not cut the result short."""
    assert verdict(DKIM_PASS) == "pass"
    assert verdict(DKIM_PASS.replace("dkim=pass", "dkim=fail")) is None


@pytest.mark.parametrize("forged", [
    f"{OURS}; dmarc=pass header.from=example.org",
    f"{OURS}; dkim=pass header.d=example.org header.s=test",
    f"{OURS.upper()} 1; dmarc=pass header.from=example.org",
])
def test_a_sender_written_header_below_the_mtas_own_cannot_win(forged):
    assert verdict(DMARC_FAIL, forged) == "fail"
    assert verdict(DMARC_NONE, forged, sender="zoe@example.net") is None


def test_the_dmarc_verdict_decides_though_a_dkim_pass_stands_below_it():
    """No DMARC policy (dmarc=none): a DKIM pass lower down, maybe the sender's, is no proof."""
    assert verdict(DMARC_NONE, DKIM_PASS.replace("example.org", "example.net"),
                   sender="zoe@example.net") is None


def test_trusted_headers_below_another_hosts_are_not_the_trusted_mtas():
    """Our MTA adds its headers on top: one of ours under another host's was there before."""
    assert verdict("other.example; dmarc=fail header.from=example.org", DMARC_PASS) is None


def test_only_the_trusted_authserv_id_counts():
    assert verdict(DMARC_PASS, trusted="mx.elsewhere.example") is None
    assert verdict(DMARC_PASS, trusted=None) is None
    assert verdict(f"{OURS}.evil.example; dmarc=pass header.from=example.org") is None


def test_a_verdict_about_another_domain_than_the_one_we_read_is_a_fail():
    """The MTA judged another From than the one we read: a From built to be read two ways."""
    assert verdict(DMARC_PASS, sender="zoe@example.net") == "fail"
    assert verdict(DMARC_FAIL, sender="zoe@example.net") == "fail"
    assert verdict(DMARC_PASS, sender="zoe@mail.example.org") == "pass"  # relaxed alignment


@pytest.mark.parametrize("header", [
    f"(our MX) {OURS}; dmarc = pass header.from=\"example.org\"",
    f"{OURS};\r\n\tdmarc=pass (p=reject;\r\n dis=none) (nested (comment; here))\r\n"
    " header.from=example.org",
])
def test_comments_quotes_and_folding_are_read_as_rfc_8601_allows(header):
    assert verdict(header) == "pass"


@pytest.mark.parametrize("header", [
    "", ";;;", f"{OURS}", f"{OURS}; none", f"{OURS}; =pass", "(((",
    f'{OURS}; dmarc=pass "unclosed',
])
def test_empty_or_broken_headers_say_nothing(header):
    assert verdict(header) is None
