"""The sponsor report as a one-page PDF: the programme's figures for a period, labelled in German
or English, and with REPORT … NAMES a short table of the pairs (the CSV has all of them).

Given plain strings (the flow formats the figures), so that what the PDF says and what the CSV
says come from one place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from .pdf_layout import (
    ACCENT, INK, MARGIN, MUTED, TEXT_WIDTH, centered, clean, first_page, text_block,
)

if TYPE_CHECKING:
    from fpdf import FPDF

# the report's figures in the order they are shown; the CSV's "figure" column
FIGURES = ("started", "active", "completed", "meetings_held", "hours", "rating", "pulse",
           "completion_rate", "declines", "expiries")
LABELS = {
    "en": dict(title="Programme report", started="Pairs started", active="Pairs active",
               completed="Pairs completed", meetings_held="Meetings held", hours="Hours",
               rating="Average rating (1–5)", pulse="Average pulse (1–5)",
               completion_rate="Completion rate", declines="Requests declined",
               expiries="Requests expired", pairs="Pairs", more="and {n} more: see the CSV",
               columns=("No.", "Mentee", "Mentor", "State", "Meetings", "Hours"),
               period="{first} to {last}"),
    "de": dict(title="Programmbericht", started="Begonnene Paare", active="Aktive Paare",
               completed="Abgeschlossene Paare", meetings_held="Stattgefundene Treffen",
               hours="Stunden", rating="Durchschnittliche Bewertung (1–5)",
               pulse="Durchschnittlicher Puls (1–5)", completion_rate="Abschlussquote",
               declines="Abgelehnte Anfragen", expiries="Abgelaufene Anfragen", pairs="Paare",
               more="und {n} weitere: siehe CSV",
               columns=("Nr.", "Mentee", "Mentor:in", "Stand", "Treffen", "Stunden"),
               period="{first} bis {last}"),
}
PAIRS_ON_PAGE = 22
FIGURE_LABEL_WIDTH = 90.0  # mm: the longest label on one line
_COLUMN_X = (0, 10, 54, 98, 124, 146)  # mm from the margin


@dataclass(frozen=True)
class ReportData:
    language: str
    programme: str
    first: date
    last: date
    values: dict[str, str]  # by FIGURES, as shown
    pairs: tuple[tuple[str, ...], ...] = ()  # rows of the columns above; empty without NAMES


def report_strings(data: ReportData) -> list[str]:
    """Every string the report draws."""
    words = LABELS[data.language]
    cells = [cell for row in data.pairs[:PAIRS_ON_PAGE] for cell in row]
    return [clean(data.programme).upper(), words["title"], period_line(data), words["pairs"],
            words["more"], *words["columns"], *(words[f] for f in FIGURES),
            *data.values.values(), *cells, "0123456789"]


def period_line(data: ReportData) -> str:
    return LABELS[data.language]["period"].format(first=_day(data.first, data.language),
                                                  last=_day(data.last, data.language))


def _day(day: date, language: str) -> str:
    return f"{day.day}.{day.month}.{day.year}" if language == "de" else day.isoformat()


def draw_report(pdf: FPDF, data: ReportData) -> None:
    words = LABELS[data.language]
    top = first_page(pdf, data.programme, top=24)
    top = centered(pdf, words["title"], size=20, bold=True, color=ACCENT, top=max(top + 6, 32))
    top = centered(pdf, period_line(data), size=11, color=MUTED, top=top + 3) + 10
    for name in FIGURES:
        top = _figure_row(pdf, words[name], data.values[name], top)
    if data.pairs:
        _pairs(pdf, data, words, top + 6)


def _figure_row(pdf: FPDF, label: str, value: str, top: float) -> float:
    """One figure on one line: the label in the accent colour, the value right of it."""
    pdf.set_font(style="B", size=11)
    pdf.set_text_color(*ACCENT)
    text_block(pdf, label, x=MARGIN, top=top, width=FIGURE_LABEL_WIDTH, line_height=5.5)
    pdf.set_font(style="", size=11)
    pdf.set_text_color(*INK)
    text_block(pdf, value, x=MARGIN + FIGURE_LABEL_WIDTH, top=top,
               width=TEXT_WIDTH - FIGURE_LABEL_WIDTH, line_height=5.5)
    return top + 7.4


def _pairs(pdf: FPDF, data: ReportData, words: dict, top: float) -> None:
    pdf.set_font(style="B", size=11)
    pdf.set_text_color(*ACCENT)
    top = text_block(pdf, words["pairs"], x=MARGIN, top=top, width=TEXT_WIDTH, line_height=6)
    for number, row in enumerate((words["columns"], *data.pairs[:PAIRS_ON_PAGE])):
        pdf.set_font(style="B" if number == 0 else "", size=8)
        pdf.set_text_color(*(MUTED if number == 0 else INK))
        for x, width, cell in zip(_COLUMN_X, _widths(), row):
            text_block(pdf, clean(cell)[:40], x=MARGIN + x, top=top, width=width, line_height=4.2)
        top += 4.6
    hidden = len(data.pairs) - PAIRS_ON_PAGE
    if hidden > 0:
        pdf.set_text_color(*MUTED)
        text_block(pdf, words["more"].format(n=hidden), x=MARGIN, top=top + 1, width=TEXT_WIDTH,
                   line_height=4.2)


def _widths() -> list[float]:
    edges = [*_COLUMN_X, TEXT_WIDTH]
    return [right - left for left, right in zip(edges, edges[1:])]
