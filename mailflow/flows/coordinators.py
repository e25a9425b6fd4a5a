"""Coordinators act by mail to coordinators@, from a coordinator address only."""
from __future__ import annotations

import functools

from ..outcomes import Polite, Refused
from ..parsers.people_csv import read_people_csv
from ..people import import_rows
from .context import Context


def coordinator_only(flow):
    """flow, for senders listed in MAILFLOW_COORDINATORS; anyone else changes nothing and is not answered."""
    @functools.wraps(flow)
    def guarded(ctx: Context) -> str:
        if ctx.inbound.sender not in ctx.settings.coordinators:
            raise Refused(f"{ctx.inbound.sender} is no coordinator")
        return flow(ctx)
    return guarded


def import_people(ctx: Context) -> str:
    files = [a for a in ctx.inbound.mail.attachments
             if a.content_type in ("text/csv", "application/csv", "text/comma-separated-values")
             or (a.filename or "").lower().endswith(".csv")]
    if not files:
        raise Polite("import_summary", {"files": []}, "IMPORT without a CSV attachment")
    summaries = []
    for item in files:
        people = read_people_csv(item.payload)
        counts = import_rows(ctx.session, ctx.settings, people.rows, ctx.now)
        summaries.append({"name": item.filename or "people.csv", "created": counts.created,
                          "updated": counts.updated, "unchanged": counts.unchanged,
                          "errors": [vars(e) for e in people.errors]})
    ctx.answer("import_summary", files=summaries)
    return "; ".join(f"{s['name']}: {s['created']} created, {s['updated']} updated, {len(s['errors'])} errors"
                     for s in summaries)
