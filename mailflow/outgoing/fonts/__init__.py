"""The Unicode font shipped with mailflow (DejaVu Sans, regular and bold): its name and files, and
how a document gets it (FontSource).

Importing this package stays cheap, so the PDF modules read FAMILY from here: the cut and parsed
faces, and fontTools with them, are in mailflow.outgoing.fonts.faces, which the renderer imports
with a process's first document.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path(__file__).parent
FAMILY = "DejaVu"
FILES_BY_STYLE = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


class FontSource(Protocol):
    def attach(self, pdf: FPDF, text: str) -> None:
        """Make the family usable with `pdf.set_font(FAMILY, style)` for a document showing
        `text`."""


class PlainFontFiles:
    """fpdf2's plain way, `add_font` for every document (the full font parsed and subset each time):
    the baseline that bench/certificates.py and the tests compare the cached faces with."""

    def __init__(self, font_dir: Path = FONT_DIR):
        self.font_dir = font_dir

    def attach(self, pdf: FPDF, text: str) -> None:
        for style, filename in FILES_BY_STYLE.items():
            pdf.add_font(FAMILY, style, str(self.font_dir / filename))
