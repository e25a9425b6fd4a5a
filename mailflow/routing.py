"""The routing table: which of our addresses a mail came to, and which flow handles it. First match wins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .config import Settings
from .flows import agreement, confirm, coordinators, help, joining, requests
from .flows.confirm import confirmed
from .flows.coordinators import coordinator_only
from .flows.joining import stranger_or
from .flows.context import Context, Inbound
from .parsers.commands import Keyword
from .tokens import Token, TokenSigner

Flow = Callable[[Context], str]

# Commands anyone may send to hello@. Read-only ones are answered directly; state-changing ones without a token
# are confirmed by a signed reply first; strangers get the application form instead.
HELLO: dict[Keyword, Flow] = {
    Keyword.HELP: help.send_help,
    Keyword.APPLY: joining.application_received,
    Keyword.MENTORS: stranger_or(requests.list_mentors),
    Keyword.REQUEST: stranger_or(confirmed(requests.request_mentor)),
    Keyword.AMEND: stranger_or(confirmed(agreement.amend)),
}
HELLO_DEFAULT: Flow = stranger_or(help.not_understood)

# Commands a coordinator may send to coordinators@.
COORDINATORS: dict[Keyword, Flow] = {
    Keyword.HELP: help.send_help,
    Keyword.IMPORT: coordinator_only(confirmed(coordinators.import_people)),
}

# Replies to our mails: the token's purpose names the conversation, the keyword the answer.
REPLIES: dict[str, dict[Keyword, Flow]] = {
    "mentors": {Keyword.REQUEST: requests.request_mentor},
    "request": {Keyword.ACCEPT: requests.accept, Keyword.DECLINE: requests.decline, Keyword.YES: requests.accept,
                Keyword.NO: requests.decline},
    "agree": {Keyword.APPROVE: agreement.not_yours_to_approve, Keyword.AMEND: agreement.amend},
    "approve": {Keyword.APPROVE: agreement.approve, Keyword.YES: agreement.approve,
                Keyword.CHANGES: agreement.ask_changes},
    "confirm": {Keyword.YES: confirm.confirm, Keyword.NO: confirm.cancel},
}

# What a reply without a keyword we know means, per token purpose (e.g. a filled-in form).
REPLY_DEFAULTS: dict[str, Flow] = {
    "apply": joining.application_received,
    "agree": agreement.form_received,
}


@dataclass(frozen=True)
class Recipient:
    """Which of our addresses a mail was for."""

    address: str
    kind: str  # hello | coordinators | reply | meetings | bounces
    token: Token | None


def read_recipient(settings: Settings, signer: TokenSigner, rcpt_tos: list[str]) -> Recipient | None:
    """The first of our addresses among the envelope recipients. Raises ForgedToken for a bad signature."""
    fixed = {settings.hello_address: "hello", settings.coordinators_address: "coordinators"}
    for address in (a.lower() for a in rcpt_tos):
        if address in fixed:
            return Recipient(address, fixed[address], None)
        token = signer.read(address)
        if token is not None:
            return Recipient(address, token.kind, token)
    return None


def choose_flow(inbound: Inbound) -> Flow:
    keyword = inbound.command.keyword if inbound.command else None
    if inbound.address_kind == "reply" and inbound.token is not None:
        purpose = inbound.token.purpose
        flow = REPLIES.get(purpose, {}).get(keyword) if keyword else None
        return flow or HELLO.get(keyword) or REPLY_DEFAULTS.get(purpose) or HELLO_DEFAULT
    if inbound.address_kind == "coordinators":
        return COORDINATORS.get(keyword) or help.not_understood
    return HELLO.get(keyword) or HELLO_DEFAULT

