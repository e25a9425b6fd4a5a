"""The mentoring agreement as a PDF: the fields of one version of the agreement form, and whether
both sides approved it.

Its own module because the agreement flows over as many pages as its topic plan needs, where the
certificate must fit one page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from .pdf_layout import (
    ACCENT, MARGIN, MUTED, PAGE_HEIGHT, TEXT_WIDTH, accent_bands, centered, clean, fact_row,
    first_page, text_block,
)
from .pdf_wording import Wording

if TYPE_CHECKING:
    from fpdf import FPDF


@dataclass(frozen=True)
class AgreementData:
    language: str
    programme: str
    mentee_name: str
    mentor_name: str
    period_from: date
    period_until: date
    meetings: int
    contact_kind: str
    contact_frequency: str
    topics: tuple[str, ...]
    version: int
    approved_on: date | None  # None while not both sides have approved
    created_at: datetime


def agreement_strings(data: AgreementData, words: Wording) -> list[str]:
    """Every string the agreement draws."""
    fields = [part for row in agreement_fields(data, words) for part in row]
    return [clean(data.programme).upper(), words.agreement_title, agreement_version(data, words),
            *fields, *agreement_status_lines(data, words)]


def draw_agreement(pdf: FPDF, data: AgreementData, words: Wording) -> None:
    programme_bottom = first_page(pdf, data.programme, top=30)
    title_top = max(programme_bottom + 6, 40)
    centered(pdf, words.agreement_title, size=22, min_size=14, bold=True, color=ACCENT,
             top=title_top)
    top = centered(pdf, agreement_version(data, words), size=11, color=MUTED,
                   top=title_top + 12) + 11
    rows = agreement_fields(data, words)
    for (label, value), following in zip(rows, [*rows[1:], ("-", "")]):
        gap = 1.0 if not following[0] else 4.4  # the topic plan's items stay together
        height = fact_row(pdf, label, value, size=11, top=0, gap=gap, draw=False)
        top = _new_page_if_needed(pdf, top, height)
        top = fact_row(pdf, label, value, size=11, top=top, gap=gap)
    _agreement_status(pdf, data, words, top=_new_page_if_needed(pdf, top, 20))


def _new_page_if_needed(pdf: FPDF, top: float, height: float) -> float:
    """Where a block of `height` can start: `top`, or the top of a new page when it would run off
    this one."""
    if top + height <= PAGE_HEIGHT - MARGIN:
        return top
    pdf.add_page()
    accent_bands(pdf)
    return MARGIN


def agreement_version(data: AgreementData, words: Wording) -> str:
    return f"{words.version} {data.version}"


def agreement_fields(data: AgreementData, words: Wording) -> list[tuple[str, str]]:
    """The agreement form's fields, labelled as in the form people fill in; one row per topic of
    the plan."""
    plan = [f"{number}. {clean(topic)}" for number, topic in enumerate(data.topics, start=1)]
    plan = plan or ["–"]
    return [(words.mentee, clean(data.mentee_name)), (words.mentor, clean(data.mentor_name)),
            (words.period_from, words.day(data.period_from)),
            (words.period_until, words.day(data.period_until)),
            (words.number_of_meetings, str(data.meetings)),
            (words.contact_kind, clean(data.contact_kind)),
            (words.contact_frequency, clean(data.contact_frequency)),
            (words.topic_plan, plan[0]),
            *(("", item) for item in plan[1:])]


def agreement_status_lines(data: AgreementData, words: Wording) -> tuple[str, str]:
    """Whether both sides approved (and when), and when this version was written."""
    if data.approved_on:
        approved = words.approved.format(day=words.day(data.approved_on))
    else:
        approved = words.not_approved
    moment = f"{words.day(data.created_at.date())}, {data.created_at:%H:%M}"
    return approved, words.created_at.format(moment=moment)


def _agreement_status(pdf: FPDF, data: AgreementData, words: Wording, *, top: float) -> None:
    approved, created = agreement_status_lines(data, words)
    pdf.set_font(style="B", size=11)
    pdf.set_text_color(*(ACCENT if data.approved_on else MUTED))
    bottom = text_block(pdf, approved, x=MARGIN, top=top + 6, width=TEXT_WIDTH, line_height=6)
    pdf.set_font(style="", size=9)
    pdf.set_text_color(*MUTED)
    text_block(pdf, created, x=MARGIN, top=bottom + 1, width=TEXT_WIDTH, line_height=5)
