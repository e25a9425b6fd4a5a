"""The page both documents are drawn on: colours, A4 geometry, and the text primitives (centred
titles, wrapped blocks, labelled rows) that the certificate and the agreement share.

Our own greedy line wrap and width table lookup live here because fpdf2's `multi_cell` and
`get_string_width` were more than half of a certificate's time (see bench/certificates.py).
"""
from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from .fonts import FAMILY

if TYPE_CHECKING:
    from fpdf import FPDF

ACCENT = (45, 106, 79)  # the green of our mails
INK = (33, 37, 41)
MUTED = (108, 117, 125)
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 210.0, 297.0, 22.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 48.0


def clean(text: str) -> str:
    """NFC, so 'e' + combining accent is the one glyph the font has; line breaks become spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def accent_bands(pdf: FPDF) -> None:
    """The green bands at the top and the bottom of every page."""
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, PAGE_WIDTH, 7, style="F")
    pdf.rect(0, PAGE_HEIGHT - 4, PAGE_WIDTH, 4, style="F")


def first_page(pdf: FPDF, programme: str, *, top: float) -> float:
    """A new page with the accent bands and the programme's name on top (shrunk to fit); returns
    where the name ends, so the title can stand below however many lines it took."""
    pdf.set_auto_page_break(False)
    pdf.add_page()
    accent_bands(pdf)
    return centered(pdf, clean(programme).upper(), size=10, min_size=7, color=MUTED, top=top)


def centered(pdf: FPDF, text: str, *, size: float, top: float, bold: bool = False,
             color: tuple[int, int, int] = INK, min_size: float | None = None) -> float:
    """Centred text, shrunk down to `min_size` to fit one line (wrapped if even that is too wide);
    returns the bottom."""
    style = "B" if bold else ""
    pdf.set_font(FAMILY, style=style, size=size)
    while (min_size is not None and size > min_size
           and text_width(pdf, text) > TEXT_WIDTH - 2 * pdf.c_margin):
        size -= 1
        pdf.set_font(FAMILY, style=style, size=size)
    pdf.set_text_color(*color)
    bottom = text_block(pdf, text, x=MARGIN, top=top, width=TEXT_WIDTH, line_height=size * 0.45,
                        align="C")
    pdf.set_text_color(*INK)
    return bottom


def fact_row(pdf: FPDF, label: str, value: str, *, size: float, top: float,
             gap: float | None = None, draw: bool = True) -> float:
    """One labelled row (label left in the accent colour, value right); returns where the next row
    starts."""
    line_height, gap = size * 0.5, size * 0.4 if gap is None else gap
    pdf.set_font(style="B", size=size)
    pdf.set_text_color(*ACCENT)
    label_bottom = text_block(pdf, label, x=MARGIN, top=top, width=LABEL_WIDTH - 2,
                              line_height=line_height, draw=draw)
    pdf.set_font(style="", size=size)
    pdf.set_text_color(*INK)
    value_bottom = text_block(pdf, value, x=MARGIN + LABEL_WIDTH, top=top,
                              width=TEXT_WIDTH - LABEL_WIDTH, line_height=line_height, draw=draw)
    return max(label_bottom, value_bottom) + gap


def text_block(pdf: FPDF, text: str, *, x: float, top: float, width: float, line_height: float,
               align: str = "L", draw: bool = True) -> float:
    """Draw `text` wrapped into `width` at (x, top) in the current font; returns the bottom.

    Our own greedy wrap instead of fpdf2's multi_cell, which measures each line again for every
    character it adds and cost more than half of a certificate's time."""
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
                if line:
                    line, line_width = f"{line} {piece}", line_width + space + piece_width
                else:
                    line, line_width = piece, piece_width
        lines.append(line)
    return lines


def _fitting_pieces(pdf: FPDF, word: str, width: float) -> list[str]:
    """The word, or if it is wider than a whole line (a long address or code), pieces of it that
    fit."""
    if text_width(pdf, word) <= width:
        return [word]
    pieces = [""]
    for char in word:
        if pieces[-1] and text_width(pdf, pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def text_width(pdf: FPDF, text: str) -> float:
    """What `pdf.get_string_width` says for our plain text (no shaping, stretching or markdown),
    read straight from the font's width table: get_string_width copies the graphics state on every
    call."""
    widths = pdf.current_font.cw
    return sum(widths[ord(char)] for char in text) * pdf.font_size / 1000
