"""The sponsor report: REPORT <from> <until> [NAMES] (BERICHT <von> <bis> [NAMEN]) from a
coordinator answers with the period's figures as CSV and as a one-page PDF. Names of participants
appear only with NAMES: then a second CSV lists the pairs, and the PDF the first of them."""
from __future__ import annotations

import csv
import io

from ..domain.report import ReportFigures, report_figures
from ..outcomes import Polite
from ..outgoing.compose import Attachment, state_word
from ..outgoing.report_pdf import FIGURES, LABELS, ReportData
from ..parsers.dates import parse_date
from ..reasons import Answer
from .context import Context

NAME_WORDS = frozenset({"NAMES", "NAMEN"})
PAIR_COLUMNS = ("mentorship", "mentee", "mentor", "state", "started", "completed",
                "meetings_held", "hours")


def report(ctx: Context) -> str:
    words = ctx.inbound.command.argument.split()
    names = bool(words) and words[-1].upper() in NAME_WORDS
    dates = words[:-1] if names else words
    try:
        first, last = (parse_date(d) for d in dates) if len(dates) == 2 else (None, None)
    except ValueError:
        first = last = None
    if first is None or last < first:
        raise Polite(Answer.REPORT_DATES, typed=" ".join(dates))
    figures = report_figures(ctx.session, first, last, ctx.settings.timezone, ctx.now, names)
    shown = shown_values(figures)
    stem = f"report-{first.isoformat()}-{last.isoformat()}"
    attachments = [Attachment(f"{stem}.csv", "text/csv", _figures_csv(shown, ctx.language)),
                   Attachment(f"{stem}.pdf", "application/pdf", _pdf(ctx, figures, shown))]
    if names:
        attachments.append(Attachment(f"{stem}-pairs.csv", "text/csv", _pairs_csv(figures)))
    ctx.answer("coordinator_report", attachments=tuple(attachments), first=first, last=last,
               values=shown, names=names, pulse_known=figures.pulse is not None)
    return f"report {first}..{last} sent{' with names' if names else ''}"


def shown_values(figures: ReportFigures) -> dict[str, str]:
    """Each figure as the CSV and the PDF show it ("–" where there is none yet)."""
    def number(value) -> str:
        return "–" if value is None else f"{value:g}"
    return {"started": str(figures.started), "active": str(figures.active),
            "completed": str(figures.completed), "meetings_held": str(figures.meetings_held),
            "hours": number(figures.hours), "rating": number(figures.rating),
            "pulse": number(figures.pulse), "completion_rate": number(figures.completion_rate),
            "declines": str(figures.declines), "expiries": str(figures.expiries)}


def _figures_csv(shown: dict[str, str], language: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("figure", "label", "value"))
    for name in FIGURES:
        writer.writerow((name, LABELS[language][name], shown[name]))
    return buffer.getvalue().encode("utf-8")


def _pairs_csv(figures: ReportFigures) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PAIR_COLUMNS)
    for p in figures.pairs:
        writer.writerow((p.mentorship, p.mentee, p.mentor, p.state, _iso(p.started),
                         _iso(p.completed), p.meetings, f"{p.hours:g}"))
    return buffer.getvalue().encode("utf-8")


def _pdf(ctx: Context, figures: ReportFigures, shown: dict[str, str]) -> bytes:
    on_page = dict(shown)
    if figures.completion_rate is not None:
        on_page["completion_rate"] = f"{shown['completion_rate']} %"
    pairs = tuple((str(p.mentorship), p.mentee, p.mentor, state_word(p.state, ctx.language),
                   str(p.meetings),
                   f"{p.hours:g}") for p in figures.pairs)
    data = ReportData(ctx.language, ctx.settings.programme, figures.first, figures.last,
                      on_page, pairs)
    return ctx.documents.report_pdf(data, created=ctx.now)


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""
