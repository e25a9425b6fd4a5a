"""A private concern (safeguarding): CONCERN / ANLIEGEN <text> to hello@ (or in reply to any of our
mails; every footer links to it) reaches the coordinators only, is acknowledged to the sender, is
never shown to the other side of any mentorship, and is listed in the sender's own EXPORT.

A concern changes nothing for anyone else, and a person in trouble should not have to pass a
confirmation round first, so it is forwarded at once even when the receiving MTA did not vouch for
the sender; the coordinators' mail then says the sender is unconfirmed, and the acknowledgement
(which goes to the real owner of the address) asks with one click whether it was theirs. Their YES
or NO is passed on. The acknowledgement never repeats the text: a forger could otherwise use us to
put their words in someone's mailbox."""
from __future__ import annotations

import logging

from ..domain.mentorships import other_side, role_in, running_of
from ..outcomes import Refused
from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..reasons import Refusal
from ..store.models import Concern
from .confirm import speaks_for_self
from .context import Context

log = logging.getLogger(__name__)
LONGEST = 10_000  # characters of a concern kept and passed on
CONFIRMED, DISOWNED = "confirmed", "disowned"


def concern(ctx: Context) -> str:
    text = ctx.inbound.command.argument.strip()[:LONGEST]
    if not text:
        word = command_word(Keyword.CONCERN, ctx.language)
        ctx.answer("concern_empty", concern=ctx.hello_link(word))
        return "concern without text: asked for it"
    vouched = ctx.inbound.authenticated or speaks_for_self(ctx)
    row = Concern(person_id=ctx.person.id, text=text, received_at=ctx.now, vouched=vouched,
                  owner_answer="")
    ctx.session.add(row)
    ctx.session.flush()
    _tell_coordinators(ctx, row)
    token = None if vouched else ctx.token_for("concern", row.id, ctx.person)
    yes, no = (command_word(k, ctx.language) for k in (Keyword.YES, Keyword.NO))
    ctx.answer("concern_received", reply_token=token, vouched=vouched, id=row.id,
               yes=ctx.link(token, yes) if token else "", no=ctx.link(token, no) if token else "")
    return f"concern {row.id} of person {ctx.person.id} passed to the coordinators" + (
        "" if vouched else " (sender unconfirmed)")


def owned(ctx: Context) -> str:
    """YES to the acknowledgement: the owner of the address sent it."""
    return _owner_answered(ctx, CONFIRMED)


def disowned(ctx: Context) -> str:
    """NO to the acknowledgement: someone else used their address."""
    return _owner_answered(ctx, DISOWNED)


def _owner_answered(ctx: Context, answer: str) -> str:
    row = ctx.session.get(Concern, ctx.inbound.token.object_id)
    if row is None or ctx.person is None or row.person_id != ctx.person.id:
        raise Refused(Refusal.CONCERN_FOR_OTHERS, sender=ctx.inbound.sender)
    if row.owner_answer != answer:
        row.owner_answer = answer
        for address in ctx.settings.coordinators:
            ctx.send(OutgoingMail(template="concern_owner", to=address,
                                  language=ctx.settings.language,
                                  values=dict(id=row.id, who=ctx.person.name,
                                              email=ctx.person.email, answer=answer,
                                              received=row.received_at)))
    ctx.answer("concern_answered", answer=answer)
    return f"concern {row.id}: the owner of the address says {answer}"


def _tell_coordinators(ctx: Context, row: Concern) -> None:
    person = ctx.person
    mentorships = [{"id": m.id, "other": other_side(m, person).name,
                    "role": role_in(m, person), "state": m.state}
                   for m in running_of(ctx.session, person)]
    values = dict(id=row.id, who=person.name, email=person.email, role=person.role,
                  text=row.text, vouched=row.vouched, mentorships=mentorships,
                  received=row.received_at)
    if not ctx.settings.coordinators:
        log.warning("concern %s reaches nobody: MAILFLOW_COORDINATORS is empty", row.id)
    for address in ctx.settings.coordinators:
        ctx.send(OutgoingMail(template="concern", to=address, language=ctx.settings.language,
                              values=values))
