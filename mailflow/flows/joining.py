"""Joining by mail: a stranger gets the application form; a valid application makes them a
participant."""
from __future__ import annotations

import functools

from sqlalchemy import select

from ..domain import achievements
from ..domain.people import new_person
from ..parsers.commands import Keyword, command_word
from ..parsers.forms import read_application, render_form
from ..store.models import Person
from .confirm import ask_confirmation, speaks_for_self
from .context import Context
from .form_answers import form_errors


def send_application_form(ctx: Context, errors: list[str] | None = None,
                          values: dict | None = None) -> str:
    """The form, prefilled with what we know (the sender's name) or with what they wrote last
    time."""
    values = values or {"name": ctx.inbound.mail.sender_name, "language": ctx.language,
                        "time_zone": ctx.settings.timezone}
    ctx.answer("application_form", reply_token=ctx.token_for("apply", 0, None),
               form=render_form("application", values, ctx.language), errors=errors or [])
    return "application form sent" if not errors else f"application had {len(errors)} errors"


def application_received(ctx: Context) -> str:
    """A reply to the application form (or a first mail that already carries one)."""
    result = read_application(ctx.inbound.mail.text)
    if not result.found_any:
        return send_application_form(ctx)
    if not result.ok:
        # answer in the language they chose
        ctx.language = result.values.get("language") or ctx.language
        return send_application_form(ctx, form_errors(result, ctx.language), result.raw)
    if ctx.person is not None and not (ctx.inbound.authenticated or speaks_for_self(ctx)):
        # an application from a known address would rewrite their profile
        return ask_confirmation(ctx)
    person = _save_application(ctx, result.values)
    ctx.language = person.language
    ctx.person = person
    mentors = ctx.hello_link(command_word(Keyword.MENTORS, ctx.language))
    ctx.answer("welcome", role=person.role, handle=person.handle, mentors=mentors)
    return f"application of {person.email} as {person.role} saved"


def stranger_or(flow):
    """A flow for participants that sends strangers the application form instead."""
    @functools.wraps(flow)
    def guarded(ctx: Context) -> str:
        if ctx.person is None:
            if read_application(ctx.inbound.mail.text).found_any:
                return application_received(ctx)
            return send_application_form(ctx)
        return flow(ctx)
    return guarded


def _save_application(ctx: Context, values: dict) -> Person:
    person = ctx.session.scalar(select(Person).where(Person.email == ctx.inbound.sender))
    if person is None:
        person = new_person(ctx.session, ctx.settings, email=ctx.inbound.sender,
                            name=values["name"], role=values["role"], now=ctx.now)
    person.name, person.role, person.deleted_at = values["name"], values["role"], None
    person.language = values.get("language") or ctx.language
    person.timezone = values.get("time_zone") or person.timezone
    person.topics = list(values.get("topics") or [])
    person.about = values.get("about") or ""
    if person.role == "mentor":
        person.capacity = values.get("capacity") or max(person.capacity, 1)
    ctx.session.flush()
    achievements.record(ctx.session, person, "joined", ctx.now)
    return person
