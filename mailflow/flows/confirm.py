"""State-changing commands that arrive without a signed token are confirmed by a signed reply
first (unless the trusted receiving MTA vouched for the sender), so a forged From: alone never
changes anything."""
from __future__ import annotations

import functools

from ..outcomes import Polite
from ..parsers.commands import Keyword, command_word
from ..reasons import Reason
from ..tokens import COORDINATOR_PURPOSES, coordinator_number, expires_at
from .context import Context


def confirmed(flow):
    """flow, once the sender is known to be who they say they are: the trusted MTA vouched for
    them, or they wrote through a reply address bound to them (the worker checked that its person
    is the sender). A token bound to nobody (a stranger's application form, a coordinators' link)
    proves nothing: anyone may have it."""
    @functools.wraps(flow)
    def guarded(ctx: Context) -> str:
        if ctx.inbound.authenticated or speaks_for_self(ctx):
            return flow(ctx)
        return ask_confirmation(ctx)
    return guarded


def speaks_for_self(ctx: Context) -> bool:
    """The token is bound to the sender's Person row (a coordinator's token names an address,
    and a digest is forwarded: it never spares the confirmation)."""
    token = ctx.inbound.token
    return (token is not None and ctx.person is not None and token.person_id == ctx.person.id
            and token.purpose not in COORDINATOR_PURPOSES)


def check_link(ctx: Context) -> None:
    """A reply address bound to one coordinator acts only for that coordinator, and a dated one
    only within its lifetime (tokens.LIFETIMES): a forwarded or old digest's link, or a deletion
    confirmed weeks later, does nothing, and the sender is told why (Polite)."""
    token = ctx.inbound.token
    if token is None:
        return
    told = dict(purpose=token.purpose, coordinators=ctx.settings.coordinators_address)
    bound = token.purpose in COORDINATOR_PURPOSES
    if bound and coordinator_number(ctx.inbound.sender) != token.person_id:
        raise Polite(Reason.LINK_OF_ANOTHER, sender=ctx.inbound.sender, **told)
    ends = expires_at(token)
    if ends is not None and ctx.now >= ends:
        expired = Reason.DELETION_EXPIRED if token.purpose == "delete" else Reason.LINK_EXPIRED
        raise Polite(expired, ended=ends, **told)


def ask_confirmation(ctx: Context) -> str:
    """A signed one-time reply address to the sender's own mailbox; their YES runs the stored
    mail again."""
    yes, no = (command_word(k, ctx.language) for k in (Keyword.YES, Keyword.NO))
    token = ctx.token_for("confirm", ctx.inbound.row_id, ctx.person)
    first_line = next((line.strip() for line in ctx.inbound.new_text.splitlines() if line.strip()),
                      ctx.inbound.mail.subject)
    ctx.answer("confirm_command", reply_token=token, command=first_line[:200],
               yes=ctx.link(token, yes), no=ctx.link(token, no))
    return "confirmation asked"


def confirm(ctx: Context) -> str:
    return "confirmed: " + ctx.replay(ctx.inbound.token.object_id)


def cancel(ctx: Context) -> str:
    ctx.answer("confirm_dropped")
    return "confirmation declined; nothing done"
