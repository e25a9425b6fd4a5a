"""PDF documents a person keeps: the certificate of participation (one A4 page) and the mentoring agreement.

Both are drawn with fpdf2 in the shipped Unicode font, in German or English. The creation date is passed in, so the
same input gives the same bytes (golden tests, resending a stored certificate). The renderer is built once per
process: it holds the parsed font, which is the expensive part (see mailflow.outgoing.fonts).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone

from fpdf import FPDF

from .fonts import FAMILY, FontSource, load_font_set


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


@dataclass(frozen=True)
class Wording:
    """Every fixed word of both documents, in one language."""

    months: tuple[str, ...]
    certificate_title: str
    certify_intro: str
    took_part: str  # {role}, {start}, {end}, {programme}
    role_names: dict[str, str]
    partner_labels: dict[str, str]  # keyed by the holder's role: names the partner's role
    period: str
    meetings_held: str
    meeting_dates: str
    topics: str
    issued_on: str
    code: str
    how_to_verify: str  # {command}, {address}
    unsigned_note: str
    agreement_title: str
    version: str
    mentee: str
    mentor: str
    period_from: str
    period_until: str
    number_of_meetings: str
    contact_kind: str
    contact_frequency: str
    topic_plan: str
    approved: str  # {day}
    not_approved: str
    created_at: str  # {moment}

    def day(self, day: date) -> str:
        month = self.months[day.month - 1]
        return f"{day.day}. {month} {day.year}" if self is GERMAN else f"{day.day} {month} {day.year}"

    def short_day(self, day: date) -> str:
        """As in our mails: 3.2.2025 for German readers, 2025-02-03 for everyone else."""
        return f"{day.day}.{day.month}.{day.year}" if self is GERMAN else day.isoformat()


GERMAN = Wording(
    months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
            "November", "Dezember"),
    certificate_title="Teilnahmebescheinigung",
    certify_intro="Hiermit wird bestätigt, dass",
    took_part="vom {start} bis {end} als {role} am Mentoring-Programm „{programme}“ teilgenommen hat.",
    role_names={"mentee": "Mentee", "mentor": "Mentorin bzw. Mentor"},
    partner_labels={"mentee": "Mentorin/Mentor", "mentor": "Mentee"},
    period="Zeitraum",
    meetings_held="Anzahl der Treffen",
    meeting_dates="Termine",
    topics="Themen",
    issued_on="Ausgestellt am",
    code="Prüfcode",
    how_to_verify="Echtheit prüfen: eine E-Mail mit „{command}“ an {address} senden.",
    unsigned_note="Diese Bescheinigung wurde maschinell erstellt und ist ohne Unterschrift gültig.",
    agreement_title="Mentoring-Vereinbarung",
    version="Fassung",
    mentee="Mentee",
    mentor="Mentorin/Mentor",
    period_from="Zeitraum von",
    period_until="Zeitraum bis",
    number_of_meetings="Anzahl der Treffen",
    contact_kind="Art der Kontaktaufnahme",
    contact_frequency="Häufigkeit der Kontaktaufnahme",
    topic_plan="Themenplan",
    approved="Beide Seiten haben am {day} zugestimmt.",
    not_approved="Entwurf: Noch haben nicht beide Seiten zugestimmt.",
    created_at="Diese Fassung wurde am {moment} erstellt.",
)

ENGLISH = Wording(
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"),
    certificate_title="Certificate of Participation",
    certify_intro="This is to certify that",
    took_part="took part in the mentoring programme “{programme}” as a {role} from {start} to {end}.",
    role_names={"mentee": "mentee", "mentor": "mentor"},
    partner_labels={"mentee": "Mentor", "mentor": "Mentee"},
    period="Period",
    meetings_held="Number of meetings",
    meeting_dates="Meeting dates",
    topics="Topics",
    issued_on="Issued on",
    code="Verification code",
    how_to_verify="To verify, send an email with “{command}” to {address}.",
    unsigned_note="This certificate was issued automatically and is valid without a signature.",
    agreement_title="Mentoring Agreement",
    version="Version",
    mentee="Mentee",
    mentor="Mentor",
    period_from="Period from",
    period_until="Period until",
    number_of_meetings="Number of meetings",
    contact_kind="Kind of contact",
    contact_frequency="Frequency of contact",
    topic_plan="Topic plan",
    approved="Both sides approved on {day}.",
    not_approved="Draft: not yet approved by both sides.",
    created_at="This version was created on {moment}.",
)

WORDINGS = {"de": GERMAN, "en": ENGLISH}

ACCENT = (45, 106, 79)  # the green of our mails
INK = (33, 37, 41)
MUTED = (108, 117, 125)
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 210.0, 297.0, 22.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 48.0
FOOTER_TOP = 238.0  # the certificate's body must end above this line


def wording_for(language: str) -> Wording:
    try:
        return WORDINGS[language]
    except KeyError:
        raise ValueError(f"no wording for language {language!r}; known: {sorted(WORDINGS)}") from None


def clean(text: str) -> str:
    """NFC, so 'e' + combining accent is the one glyph the font has; line breaks become spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class DocumentRenderer:
    """Builds the PDFs; create one per process and reuse it (it holds the parsed font)."""

    def __init__(self, fonts: FontSource | None = None):
        self.fonts = fonts or load_font_set()

    def certificate_pdf(self, data: CertificateData, *, created: datetime) -> bytes:
        """One A4 page: title, programme, holder, partner, period, meetings, topics, verification code."""
        words = wording_for(data.language)
        if data.holder_role not in words.role_names:
            raise ValueError(f"unknown role {data.holder_role!r}")
        pdf = self._new_pdf(data.language, created, words.certificate_title, certificate_strings(data, words))
        _draw_certificate(pdf, data, words)
        return bytes(pdf.output())

    def agreement_pdf(self, data: AgreementData, *, created: datetime) -> bytes:
        """The agreed (or proposed) fields of one version of a mentoring agreement."""
        words = wording_for(data.language)
        pdf = self._new_pdf(data.language, created, words.agreement_title, agreement_strings(data, words))
        _draw_agreement(pdf, data, words)
        return bytes(pdf.output())

    def _new_pdf(self, language: str, created: datetime, title: str, strings: list[str]) -> FPDF:
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_creation_date(created if created.tzinfo else created.replace(tzinfo=timezone.utc))
        pdf.set_lang(language)
        pdf.set_title(title)
        pdf.set_creator("mailflow")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.fonts.attach(pdf, "".join(strings))
        pdf.set_text_color(*INK)
        return pdf


def certificate_strings(data: CertificateData, words: Wording) -> list[str]:
    """Every string the certificate draws; the font cut is picked to have all their characters."""
    facts = [part for row in certificate_facts(data, words) for part in row]
    return [clean(data.programme).upper(), words.certificate_title, words.certify_intro, clean(data.holder_name),
            certificate_sentence(data, words), *facts, *certificate_footer_lines(data, words)]


def agreement_strings(data: AgreementData, words: Wording) -> list[str]:
    """Every string the agreement draws."""
    fields = [part for row in agreement_fields(data, words) for part in row]
    return [clean(data.programme).upper(), words.agreement_title, agreement_version(data, words), *fields,
            *agreement_status_lines(data, words)]


def certificate_sentence(data: CertificateData, words: Wording) -> str:
    return words.took_part.format(role=words.role_names[data.holder_role], start=words.day(data.period_from),
                                  end=words.day(data.period_until), programme=clean(data.programme))


def _draw_certificate(pdf: FPDF, data: CertificateData, words: Wording) -> None:
    pdf.set_auto_page_break(False)
    pdf.add_page()
    _accent_bands(pdf)
    programme_bottom = _centered(pdf, clean(data.programme).upper(), size=10, min_size=7, color=MUTED, top=34)
    top = max(programme_bottom + 6, 44)
    _centered(pdf, words.certificate_title, size=26, min_size=16, bold=True, color=ACCENT, top=top)
    pdf.set_draw_color(*ACCENT)
    pdf.line(PAGE_WIDTH / 2 - 25, top + 18, PAGE_WIDTH / 2 + 25, top + 18)
    _centered(pdf, words.certify_intro, size=12, top=top + 30)
    name_bottom = _centered(pdf, clean(data.holder_name), size=22, min_size=12, bold=True, top=top + 42)
    pdf.set_font(FAMILY, style="", size=12)
    bottom = _text_block(pdf, certificate_sentence(data, words), x=MARGIN + 10, top=name_bottom + 6,
                         width=TEXT_WIDTH - 20, line_height=6.5, align="C")
    _fitted_facts(pdf, certificate_facts(data, words), top=max(bottom + 12, 128))
    _certificate_footer(pdf, data, words)


def certificate_facts(data: CertificateData, words: Wording) -> list[tuple[str, str]]:
    """The labelled rows of the certificate's body."""
    rows = [(words.partner_labels[data.holder_role], clean(data.partner_name)),
            (words.period, f"{words.day(data.period_from)} – {words.day(data.period_until)}"),
            (words.meetings_held, str(len(data.meeting_dates)))]
    if data.meeting_dates:
        rows.append((words.meeting_dates, ", ".join(words.short_day(day) for day in sorted(data.meeting_dates))))
    if data.topics:
        rows.append((words.topics, "\n".join(f"• {clean(topic)}" for topic in data.topics)))
    return rows


def _fitted_facts(pdf: FPDF, rows: list[tuple[str, str]], *, top: float) -> None:
    """The rows in the largest size (11 pt down to 6 pt) that keeps them above the footer."""
    for size in (11, 10, 9, 8, 7, 6):
        if top + _facts_height(pdf, rows, size) <= FOOTER_TOP:
            break
    for label, value in rows:
        top = _fact_row(pdf, label, value, size=size, top=top)


def _facts_height(pdf: FPDF, rows: list[tuple[str, str]], size: float) -> float:
    return sum(_fact_row(pdf, label, value, size=size, top=0, draw=False) for label, value in rows)


def _fact_row(pdf: FPDF, label: str, value: str, *, size: float, top: float, gap: float | None = None,
              draw: bool = True) -> float:
    """One labelled row (label left in the accent colour, value right); returns where the next row starts."""
    line_height, gap = size * 0.5, size * 0.4 if gap is None else gap
    pdf.set_font(style="B", size=size)
    pdf.set_text_color(*ACCENT)
    label_bottom = _text_block(pdf, label, x=MARGIN, top=top, width=LABEL_WIDTH - 2, line_height=line_height,
                               draw=draw)
    pdf.set_font(style="", size=size)
    pdf.set_text_color(*INK)
    value_bottom = _text_block(pdf, value, x=MARGIN + LABEL_WIDTH, top=top, width=TEXT_WIDTH - LABEL_WIDTH,
                               line_height=line_height, draw=draw)
    return max(label_bottom, value_bottom) + gap


def certificate_footer_lines(data: CertificateData, words: Wording) -> tuple[str, str, str]:
    """Issue date, verification code, and how to verify (with the note that no signature is needed)."""
    code = clean(data.verification_code)
    how_to = words.how_to_verify.format(command=f"VERIFY {code}", address=clean(data.verify_address))
    return f"{words.issued_on} {words.day(data.issued_on)}", f"{words.code}: {code}", f"{how_to}\n{words.unsigned_note}"


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
    _text_block(pdf, how_to, x=MARGIN, top=FOOTER_TOP + 18, width=TEXT_WIDTH, line_height=4.5)


def _accent_bands(pdf: FPDF) -> None:
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, PAGE_WIDTH, 7, style="F")
    pdf.rect(0, PAGE_HEIGHT - 4, PAGE_WIDTH, 4, style="F")


def _centered(pdf: FPDF, text: str, *, size: float, top: float, bold: bool = False,
              color: tuple[int, int, int] = INK, min_size: float | None = None) -> float:
    """Centred text, shrunk down to `min_size` to fit one line (wrapped if even that is too wide); returns the
    bottom."""
    style = "B" if bold else ""
    pdf.set_font(FAMILY, style=style, size=size)
    while min_size is not None and size > min_size and text_width(pdf, text) > TEXT_WIDTH - 2 * pdf.c_margin:
        size -= 1
        pdf.set_font(FAMILY, style=style, size=size)
    pdf.set_text_color(*color)
    bottom = _text_block(pdf, text, x=MARGIN, top=top, width=TEXT_WIDTH, line_height=size * 0.45, align="C")
    pdf.set_text_color(*INK)
    return bottom


def _text_block(pdf: FPDF, text: str, *, x: float, top: float, width: float, line_height: float,
                align: str = "L", draw: bool = True) -> float:
    """Draw `text` wrapped into `width` at (x, top) in the current font; returns the bottom.

    Our own greedy wrap instead of fpdf2's multi_cell, which measures each line again for every character it adds
    and cost more than half of a certificate's time."""
    lines = wrap_lines(pdf, text, width - 2 * pdf.c_margin)
    if draw:
        for number, line in enumerate(lines):
            pdf.set_xy(x, top + number * line_height)
            pdf.cell(width, line_height, line, align=align)
    return top + len(lines) * line_height


def wrap_lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """`text` broken at spaces (and at explicit line breaks) into lines no wider than `width`."""
    space = text_width(pdf, " ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            for piece in _fitting_pieces(pdf, word, width):
                piece_width = text_width(pdf, piece)
                if line and line_width + space + piece_width > width:
                    lines.append(line)
                    line, line_width = "", 0.0
                line, line_width = (f"{line} {piece}", line_width + space + piece_width) if line else (
                    piece, piece_width)
        lines.append(line)
    return lines


def _fitting_pieces(pdf: FPDF, word: str, width: float) -> list[str]:
    """The word, or if it is wider than a whole line (a long address or code), pieces of it that fit."""
    if text_width(pdf, word) <= width:
        return [word]
    pieces = [""]
    for char in word:
        if pieces[-1] and text_width(pdf, pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def text_width(pdf: FPDF, text: str) -> float:
    """What `pdf.get_string_width` says for our plain text (no shaping, stretching or markdown), read straight
    from the font's width table: get_string_width copies the graphics state on every call."""
    widths = pdf.current_font.cw
    return sum(widths[ord(char)] for char in text) * pdf.font_size / 1000


def _draw_agreement(pdf: FPDF, data: AgreementData, words: Wording) -> None:
    pdf.set_auto_page_break(False)
    pdf.add_page()
    _accent_bands(pdf)
    programme_bottom = _centered(pdf, clean(data.programme).upper(), size=10, min_size=7, color=MUTED, top=30)
    title_top = max(programme_bottom + 6, 40)
    _centered(pdf, words.agreement_title, size=22, min_size=14, bold=True, color=ACCENT, top=title_top)
    top = _centered(pdf, agreement_version(data, words), size=11, color=MUTED, top=title_top + 12) + 11
    rows = agreement_fields(data, words)
    for (label, value), following in zip(rows, [*rows[1:], ("-", "")]):
        gap = 1.0 if not following[0] else 4.4  # the topic plan's items stay together
        top = _new_page_if_needed(pdf, top, _fact_row(pdf, label, value, size=11, top=0, gap=gap, draw=False))
        top = _fact_row(pdf, label, value, size=11, top=top, gap=gap)
    _agreement_status(pdf, data, words, top=_new_page_if_needed(pdf, top, 20))


def _new_page_if_needed(pdf: FPDF, top: float, height: float) -> float:
    """Where a block of `height` can start: `top`, or the top of a new page when it would run off this one."""
    if top + height <= PAGE_HEIGHT - MARGIN:
        return top
    pdf.add_page()
    _accent_bands(pdf)
    return MARGIN


def agreement_version(data: AgreementData, words: Wording) -> str:
    return f"{words.version} {data.version}"


def agreement_fields(data: AgreementData, words: Wording) -> list[tuple[str, str]]:
    """The agreement form's fields, labelled as in the form people fill in; one row per topic of the plan."""
    plan = [f"{number}. {clean(topic)}" for number, topic in enumerate(data.topics, start=1)] or ["–"]
    return [(words.mentee, clean(data.mentee_name)), (words.mentor, clean(data.mentor_name)),
            (words.period_from, words.day(data.period_from)), (words.period_until, words.day(data.period_until)),
            (words.number_of_meetings, str(data.meetings)), (words.contact_kind, clean(data.contact_kind)),
            (words.contact_frequency, clean(data.contact_frequency)), (words.topic_plan, plan[0]),
            *(("", item) for item in plan[1:])]


def agreement_status_lines(data: AgreementData, words: Wording) -> tuple[str, str]:
    """Whether both sides approved (and when), and when this version was written."""
    approved = words.approved.format(day=words.day(data.approved_on)) if data.approved_on else words.not_approved
    moment = f"{words.day(data.created_at.date())}, {data.created_at:%H:%M}"
    return approved, words.created_at.format(moment=moment)


def _agreement_status(pdf: FPDF, data: AgreementData, words: Wording, *, top: float) -> None:
    approved, created = agreement_status_lines(data, words)
    pdf.set_font(style="B", size=11)
    pdf.set_text_color(*(ACCENT if data.approved_on else MUTED))
    bottom = _text_block(pdf, approved, x=MARGIN, top=top + 6, width=TEXT_WIDTH, line_height=6)
    pdf.set_font(style="", size=9)
    pdf.set_text_color(*MUTED)
    _text_block(pdf, created, x=MARGIN, top=bottom + 1, width=TEXT_WIDTH, line_height=5)
