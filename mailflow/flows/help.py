"""The first handlers: HELP / HILFE, and the short help for anything we do not understand."""
from __future__ import annotations

from .context import Context


def send_help(ctx: Context) -> str:
    ctx.answer("help")
    return "help sent"


def not_understood(ctx: Context) -> str:
    lines = (line.strip() for line in ctx.inbound.new_text.splitlines())
    first_line = next((line for line in lines if line), "")
    ctx.answer("not_understood", heard=first_line[:80])
    return "not understood; help sent"
