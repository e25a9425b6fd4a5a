"""The certificate of participation: what it states, and how it fills its one A4 page.

Its own module because the certificate has rules the agreement has not: it must fit one page, so the
facts shrink until they end above the footer, and its footer carries the code to verify it by mail
and a QR code that opens the check (a prefilled VERIFY mail, or the operator's verification page).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from .fonts import FAMILY
from .pdf_layout import (
    ACCENT, MARGIN, MUTED, PAGE_WIDTH, TEXT_WIDTH, centered, clean, fact_row, first_page,
    text_block,
)
from .pdf_qr import QR_SIZE, draw_qr
from .pdf_wording import Wording

if TYPE_CHECKING:
    from fpdf import FPDF

FOOTER_TOP = 238.0  # the certificate's body must end above this line


@dataclass(frozen=True)
class CertificateData:
    language: str  # "de" | "en": every word on the page is in this language
    programme: str
    holder_name: str
    holder_role: str  # "mentee" | "mentor"
    partner_name: str  # the other person of the mentorship
    period_from: date
    period_until: date
    meeting_dates: tuple[date, ...]  # the meetings that took place
    topics: tuple[str, ...]
    issued_on: date
    verification_code: str
    verify_address: str  # where "VERIFY <code>" is sent to check the certificate
    minutes: int | None = None  # of the meetings that took place; None: hours not kept
    qr_link: str = ""  # what the QR code opens; "": no QR code
    credential: str = ""  # the signed credential (VC-JWT) the PDF carries as credential.jwt


def certificate_strings(data: CertificateData, words: Wording) -> list[str]:
    """Every string the certificate draws; the font cut is picked to have all their characters."""
    facts = [part for row in certificate_facts(data, words) for part in row]
    return [clean(data.programme).upper(), words.certificate_title, words.certify_intro,
            clean(data.holder_name), certificate_sentence(data, words), *facts,
            *certificate_footer_lines(data, words)]


def certificate_sentence(data: CertificateData, words: Wording) -> str:
    return words.took_part.format(role=words.role_names[data.holder_role],
                                  start=words.day(data.period_from),
                                  end=words.day(data.period_until), programme=clean(data.programme))


def draw_certificate(pdf: FPDF, data: CertificateData, words: Wording) -> None:
    programme_bottom = first_page(pdf, data.programme, top=34)
    top = max(programme_bottom + 6, 44)
    centered(pdf, words.certificate_title, size=26, min_size=16, bold=True, color=ACCENT, top=top)
    pdf.set_draw_color(*ACCENT)
    pdf.line(PAGE_WIDTH / 2 - 25, top + 18, PAGE_WIDTH / 2 + 25, top + 18)
    centered(pdf, words.certify_intro, size=12, top=top + 30)
    name_bottom = centered(pdf, clean(data.holder_name), size=22, min_size=12, bold=True,
                           top=top + 42)
    pdf.set_font(FAMILY, style="", size=12)
    bottom = text_block(pdf, certificate_sentence(data, words), x=MARGIN + 10, top=name_bottom + 6,
                        width=TEXT_WIDTH - 20, line_height=6.5, align="C")
    _fitted_facts(pdf, certificate_facts(data, words), top=max(bottom + 12, 128))
    _certificate_footer(pdf, data, words)


def certificate_facts(data: CertificateData, words: Wording) -> list[tuple[str, str]]:
    """The labelled rows of the certificate's body."""
    period = f"{words.day(data.period_from)} – {words.day(data.period_until)}"
    rows = [(words.partner_labels[data.holder_role], clean(data.partner_name)),
            (words.period, period),
            (words.meetings_held, str(len(data.meeting_dates)))]
    if data.minutes is not None:
        rows.append((words.hours, shown_hours(data.minutes, data.language)))
    if data.meeting_dates:
        days = ", ".join(words.short_day(day) for day in sorted(data.meeting_dates))
        rows.append((words.meeting_dates, days))
    if data.topics:
        rows.append((words.topics, "\n".join(f"• {clean(topic)}" for topic in data.topics)))
    return rows


def shown_hours(minutes: int, language: str) -> str:
    """Minutes as hours the way a reader writes them: 1.5 in English, 1,5 in German."""
    hours = f"{round(minutes / 60, 2):g}"
    return hours.replace(".", ",") if language == "de" else hours


def _fitted_facts(pdf: FPDF, rows: list[tuple[str, str]], *, top: float) -> None:
    """The rows in the largest size (11 pt down to 6 pt) that keeps them above the footer."""
    for size in (11, 10, 9, 8, 7, 6):
        if top + _facts_height(pdf, rows, size) <= FOOTER_TOP:
            break
    for label, value in rows:
        top = fact_row(pdf, label, value, size=size, top=top)


def _facts_height(pdf: FPDF, rows: list[tuple[str, str]], size: float) -> float:
    return sum(fact_row(pdf, label, value, size=size, top=0, draw=False) for label, value in rows)


def certificate_footer_lines(data: CertificateData, words: Wording) -> tuple[str, str, str]:
    """Issue date, verification code, and how to verify (with the note that no signature is
    needed, and what the QR code and the attached credential are)."""
    code, address = clean(data.verification_code), clean(data.verify_address)
    how_to = words.how_to_verify.format(command=f"VERIFY {code}", address=address)
    notes = [how_to, words.unsigned_note]
    if data.credential:
        notes.append(words.credential_note.format(address=address))
    return (f"{words.issued_on} {words.day(data.issued_on)}", f"{words.code}: {code}",
            "\n".join(notes))


def _certificate_footer(pdf: FPDF, data: CertificateData, words: Wording) -> None:
    issued, code, how_to = certificate_footer_lines(data, words)
    pdf.set_draw_color(*MUTED)
    pdf.line(MARGIN, FOOTER_TOP + 6, PAGE_WIDTH - MARGIN, FOOTER_TOP + 6)
    pdf.set_xy(MARGIN, FOOTER_TOP + 10)
    pdf.set_font(style="", size=10)
    pdf.cell(TEXT_WIDTH / 2, 6, issued)
    pdf.set_font(style="B", size=10)
    pdf.cell(TEXT_WIDTH / 2, 6, code, align="R")
    pdf.set_font(style="", size=8.5)
    pdf.set_text_color(*MUTED)
    width = TEXT_WIDTH - (QR_SIZE + 4 if data.qr_link else 0)
    text_block(pdf, how_to, x=MARGIN, top=FOOTER_TOP + 18, width=width, line_height=4.5)
    if data.qr_link:
        draw_qr(pdf, data.qr_link, x=PAGE_WIDTH - MARGIN - QR_SIZE, top=FOOTER_TOP + 17)
