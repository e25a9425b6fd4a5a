"""The routing table: which of our addresses a mail came to, and which flow handles it. First
match wins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .config import Settings
from .flows import (
    agreement, calendar_answers, closing, concerns, confirm, coordinators, credentials, help,
    joining, meetings, opt_outs, privacy, profile, proposals, pulse, reports, requests, series,
)
from .flows.confirm import confirmed
from .flows.context import Context, Inbound
from .flows.coordinators import coordinator_only
from .flows.joining import stranger_or
from .parsers.commands import Keyword
from .tokens import Token, TokenSigner

Flow = Callable[[Context], str]

# Commands anyone may send to hello@. Read-only ones are answered directly; state-changing ones
# without a token are confirmed by a signed reply first; strangers get the application form instead.
HELLO: dict[Keyword, Flow] = {
    Keyword.HELP: help.send_help,
    Keyword.APPLY: joining.application_received,
    Keyword.MENTORS: stranger_or(requests.list_mentors),
    Keyword.REQUEST: stranger_or(confirmed(requests.request_mentor)),
    Keyword.AMEND: stranger_or(confirmed(agreement.amend)),
    Keyword.MEETING: stranger_or(confirmed(meetings.propose)),
    Keyword.CANCEL: stranger_or(confirmed(meetings.cancel)),
    Keyword.END: stranger_or(confirmed(closing.request_end)),
    Keyword.CERTIFICATE: stranger_or(closing.resend_certificates),
    Keyword.VERIFY: closing.verify,
    Keyword.KEY: credentials.issuer_key,
    Keyword.PROFILE: stranger_or(profile.profile),
    Keyword.TOPICS: stranger_or(profile.topics),
    Keyword.EXPORT: stranger_or(privacy.export),
    Keyword.DELETE: stranger_or(privacy.request_delete),
    Keyword.SUBSCRIBE: stranger_or(confirmed(opt_outs.subscribe)),
    # not confirmed first: it changes nothing for anyone else (flows/concerns.py says why)
    Keyword.CONCERN: stranger_or(concerns.concern),
}
HELLO_DEFAULT: Flow = stranger_or(help.not_understood)
# An invitation (or its cancellation) from a participant's own calendar, sent to hello@ instead of
# their personal meetings address: confirmed like any command without a token, since a From: alone
# proves nothing.
HELLO_INVITATION: Flow = stranger_or(confirmed(calendar_answers.invitation_sent_to_us))

# Commands a coordinator may send to coordinators@.
COORDINATORS: dict[Keyword, Flow] = {
    Keyword.HELP: help.send_help,
    Keyword.IMPORT: coordinator_only(confirmed(coordinators.import_people)),
    Keyword.REMIND: coordinator_only(confirmed(coordinators.remind)),
    Keyword.MATCH: coordinator_only(confirmed(proposals.match)),  # also MATCH ALL / MATCH 3 5
    Keyword.END: coordinator_only(confirmed(coordinators.end)),
    Keyword.RESEND: coordinator_only(confirmed(coordinators.resend)),
    Keyword.EXPORT: coordinator_only(coordinators.export),
    Keyword.STATS: coordinator_only(coordinators.stats),
    Keyword.SUBSCRIBE: coordinator_only(confirmed(opt_outs.subscribe_digest)),
    Keyword.REVOKE: coordinator_only(confirmed(credentials.revoke)),
    Keyword.PROPOSE: coordinator_only(proposals.propose),
    Keyword.REPORT: coordinator_only(reports.report),
}
# A List-Unsubscribe address: whatever the mail to it says, it opts out (RFC 2369).
OPTING_OUT: dict[Keyword, Flow] = dict.fromkeys(Keyword, opt_outs.unsubscribed)

# Replies to our mails: the token's purpose names the conversation, the keyword the answer.
REPLIES: dict[str, dict[Keyword, Flow]] = {
    "mentors": {Keyword.REQUEST: requests.request_mentor},
    "request": {Keyword.ACCEPT: requests.accept, Keyword.DECLINE: requests.decline,
                Keyword.YES: requests.accept, Keyword.NO: requests.decline},
    "agree": {Keyword.APPROVE: agreement.not_yours_to_approve, Keyword.AMEND: agreement.amend},
    "approve": {Keyword.APPROVE: agreement.approve, Keyword.YES: agreement.approve,
                Keyword.CHANGES: agreement.ask_changes},
    "confirm": {Keyword.YES: confirm.confirm, Keyword.NO: confirm.cancel},
    "meeting": {Keyword.YES: meetings.accept_by_reply, Keyword.ACCEPT: meetings.accept_by_reply,
                Keyword.NO: meetings.decline_by_reply, Keyword.DECLINE: meetings.decline_by_reply,
                Keyword.MEETING: meetings.propose, Keyword.CANCEL: meetings.cancel},
    "series": {Keyword.YES: series.accept_by_reply, Keyword.ACCEPT: series.accept_by_reply,
               Keyword.NO: series.decline_by_reply, Keyword.DECLINE: series.decline_by_reply,
               Keyword.CANCEL: series.cancel},
    "counter": {Keyword.ACCEPT: meetings.accept_counter, Keyword.YES: meetings.accept_counter,
                Keyword.DECLINE: meetings.decline_counter, Keyword.NO: meetings.decline_counter},
    "feedback": {Keyword.YES: meetings.feedback_received, Keyword.NO: meetings.feedback_received},
    "end": {Keyword.YES: closing.confirm_end, Keyword.NO: closing.keep_running,
            Keyword.END: closing.request_end},
    "delete": {Keyword.YES: privacy.delete_confirmed, Keyword.NO: privacy.keep},
    "concern": {Keyword.YES: concerns.owned, Keyword.NO: concerns.disowned},
    "coord": COORDINATORS,  # the digest's one-click links: a signed coordinators' address
    "optout": OPTING_OUT, "coordout": OPTING_OUT,
    "proposal": COORDINATORS,  # the answer to PROPOSE: its MATCH lines mean that proposal's
}

# Conversations whose replies may carry calendar answers of their own (read there, not taken as a
# new meeting).
CALENDAR_PURPOSES = frozenset({"meeting", "counter", "series"})

# What a reply without a keyword we know means, per token purpose (e.g. a filled-in form).
REPLY_DEFAULTS: dict[str, Flow] = {
    "apply": joining.application_received,
    "agree": agreement.form_received,
    "meetform": meetings.form_received,
    "meeting": calendar_answers.reply_default,
    "series": series.calendar_received,
    "feedback": meetings.feedback_received,
    "checkin": coordinators.checkin_received,
    "optout": opt_outs.unsubscribed, "coordout": opt_outs.unsubscribed,
    "pulse": pulse.answer_received,
}


@dataclass(frozen=True)
class Recipient:
    """Which of our addresses a mail was for."""

    address: str
    kind: str  # hello | coordinators | reply | meetings | bounces
    token: Token | None


def read_recipient(settings: Settings, signer: TokenSigner,
                   rcpt_tos: list[str]) -> Recipient | None:
    """The first of our addresses among the envelope recipients. Raises ForgedToken for a bad
    signature."""
    fixed = {settings.hello_address: "hello", settings.coordinators_address: "coordinators"}
    for address in (a.lower() for a in rcpt_tos):
        if address in fixed:
            return Recipient(address, fixed[address], None)
        token = signer.read(address)
        if token is not None:
            return Recipient(address, token.kind, token)
    return None


def choose_flow(inbound: Inbound) -> Flow:
    """The flow for one mail. The order is the security design: a signed reply address first,
    since its purpose says what conversation this is (a keyword the conversation does not know
    falls back to what hello@ would do with it, still behind stranger_or / confirmed, and a
    calendar object in a reply that expects none is an invitation); then coordinators@, whose
    every flow checks the sender is a coordinator; then the meetings addresses, which only
    calendar clients write to; and only then hello@, where anyone may write and every
    state-changing command needs a signed confirmation."""
    keyword = inbound.command.keyword if inbound.command else None
    if inbound.address_kind == "reply" and inbound.token is not None:
        purpose = inbound.token.purpose
        flow = REPLIES.get(purpose, {}).get(keyword) if keyword else None
        if flow is None and inbound.carries_calendar and purpose not in CALENDAR_PURPOSES:
            return calendar_answers.invitation_sent_to_us
        return flow or HELLO.get(keyword) or REPLY_DEFAULTS.get(purpose) or HELLO_DEFAULT
    if inbound.address_kind == "coordinators":
        return COORDINATORS.get(keyword) or help.not_understood
    if inbound.address_kind == "meetings":  # calendar clients' answers
        series_token = inbound.token is not None and inbound.token.purpose == "series"
        return series.calendar_received if series_token else calendar_answers.calendar_received
    if inbound.carries_calendar:
        return HELLO_INVITATION
    return HELLO.get(keyword) or HELLO_DEFAULT
