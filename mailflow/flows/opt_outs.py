"""Opting out of bulk mail and back in: a mail to the List-Unsubscribe address of a reminder,
check-in or digest (any mail: RFC 2369 asks nothing more of the person) stores the wish and says
what still comes; SUBSCRIBE / ABONNIEREN to hello@ (coordinators: to coordinators@) takes it back.
Who may: the worker has checked that the sender is the one the address was signed for (a
participant's own address; for the digest, the one coordinator it was sent to)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from ..domain.opt_outs import DIGEST, KINDS, REMINDERS, opt_in, opt_out
from ..parsers.commands import Keyword, command_word
from .context import Context


def unsubscribed(ctx: Context) -> str:
    """The mail to a List-Unsubscribe address: no more mail of its kind to the sender."""
    kind = KINDS[ctx.inbound.token.object_id]
    address = ctx.inbound.sender
    new = opt_out(ctx.session, address, kind, ctx.now)
    word = command_word(Keyword.SUBSCRIBE, ctx.language)
    back_to = ctx.settings.coordinators_address if kind == DIGEST else ctx.settings.hello_address
    ctx.answer("opted_out", kind=kind, again=not new, subscribe=word,
               back=_mailto(back_to, word), back_to=back_to)
    return f"{address} opted out of {kind}" + ("" if new else " (again)")


def subscribe(ctx: Context) -> str:
    """SUBSCRIBE from a participant (to hello@): their reminders and check-ins again."""
    return _subscribe(ctx, REMINDERS)


def subscribe_digest(ctx: Context) -> str:
    """SUBSCRIBE from a coordinator (to coordinators@): their digest again."""
    return _subscribe(ctx, DIGEST)


def _subscribe(ctx: Context, kind: str) -> str:
    back = opt_in(ctx.session, ctx.inbound.sender, (kind,))
    ctx.answer("subscribed", kind=kind, was_out=bool(back))
    return f"{ctx.inbound.sender} gets {kind} again" if back else f"{kind}: nothing to take back"


def _mailto(address: str, subject: str) -> str:
    return f"mailto:{address}?{urlencode({'subject': subject}, quote_via=quote)}"
