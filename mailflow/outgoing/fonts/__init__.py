"""The Unicode font shipped with mailflow (DejaVu Sans, regular and bold), parsed once per process
and handed to each PDF cheaply.

Why this exists: fpdf2's `add_font` parses the whole TTF (about 6,000 glyphs) for every document,
and at output it decompiles and subsets that font again: about 50 ms per face and document. Here the
Latin glyphs of each face are cut once into small fonts (about 500 and 900 glyphs) and parsed once;
each document gets a shallow copy of a parsed face that reads a fresh, lazily loaded copy of the
small font (fpdf2 subsets the font object in place at output, so the object itself cannot be
shared). A document uses the smallest cut that has all its characters, and the full font (parsed the
first time a document needs it) for anything else, so every character the font has is drawn. Glyph
outlines pass through unchanged (`recalcBBoxes=False`): a glyph's box does not change when other
glyphs are dropped.

This leans on fpdf2 internals (`TTFFont`, `SubsetMap`, `FPDF.fonts`); tests/documents read the PDFs
back to catch an fpdf2 upgrade that changes them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Protocol

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).parent
FAMILY = "DejaVu"
FILES_BY_STYLE = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# The cuts, smallest first; a document uses the smallest that has all its characters (fewer glyphs:
# faster output). Core: Latin-1, Extended-A, Romanian ș ț, Vietnamese (ơ ư and Extended Additional's
# Vietnamese block), punctuation.
CORE_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x1A0, 0x1A1), (0x1AF, 0x1B0), (0x218, 0x21B),
               (0x1EA0, 0x1EF9), (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC))
# Latin: all of Latin Extended-B and Extended Additional besides.
LATIN_RANGES = CORE_RANGES + ((0x180, 0x24F), (0x1E00, 0x1EFF))
# Tables that a PDF viewer never reads from an embedded font; fpdf2 drops the same ones at output.
UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "kern", "meta", "gasp")


def cut_font(font_bytes: bytes, codepoints: frozenset[int]) -> bytes:
    """The font reduced to the glyphs of `codepoints` (plus .notdef and friends), as TTF bytes."""
    font = TTFont(BytesIO(font_bytes), recalcTimestamp=False)
    options = ft_subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True,
                                layout_features=[], hinting=False)
    options.drop_tables += list(UNUSED_TABLES)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    cmap = font["cmap"]
    cmap.tables = [table for table in cmap.tables if (table.platformID, table.platEncID) == (3, 1)]
    out = BytesIO()
    font.save(out)
    return out.getvalue()


class FontFace:
    """One style of the font, parsed once (on first use); `attach` registers a per-document copy
    with an FPDF."""

    def __init__(self, family: str, style: str, font_bytes: bytes):
        self.family = family
        self.style = style
        self.font_bytes = font_bytes

    @cached_property
    def parsed(self) -> TTFFont:
        parsed = TTFFont(FPDF(), BytesIO(self.font_bytes), f"{self.family.lower()}{self.style}",
                         self.style)
        parsed.close()  # its tables are read; each document opens its own copy
        return parsed

    @cached_property
    def codepoints(self) -> frozenset[int]:
        return frozenset(self.parsed.cmap)

    def attach(self, pdf: FPDF) -> None:
        """Make this face usable with `pdf.set_font(family, style)`, without parsing the font
        again."""
        font = copy.copy(self.parsed)
        font.i = len(pdf.fonts) + 1
        font.ttfont = TTFont(BytesIO(self.font_bytes), lazy=True, recalcTimestamp=False,
                             recalcBBoxes=False)
        font.desc = copy.copy(self.parsed.desc)  # output names and numbers it per document
        font.cw = self.parsed.cw.copy()  # a defaultdict: reading a missing character adds it
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None  # pylint: disable=protected-access
        font.subset = SubsetMap(font)
        pdf.fonts[font.fontkey] = font


@dataclass(frozen=True)
class FontSet:
    """The faces of one family in cuts of growing size; the last cut is the full font (any other
    script)."""

    family: str
    # each: the faces (regular, bold) of one cut, smallest cut first
    cuts: tuple[tuple[FontFace, ...], ...]

    def attach(self, pdf: FPDF, text: str) -> None:
        """Register the smallest cut whose faces draw every character of `text` (the whole
        document's text)."""
        needed = {ord(char) for char in text if char not in "\n\r\t"}
        faces = next((cut for cut in self.cuts if all(needed <= face.codepoints for face in cut)),
                     self.cuts[-1])
        for face in faces:
            face.attach(pdf)


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


def load_font_set(font_dir: Path = FONT_DIR) -> FontSet:
    """Cut and parse the Latin faces now (a few hundred ms, once per process); the full faces wait
    for first use."""
    core, latin, full = [], [], []
    for style, filename in FILES_BY_STYLE.items():
        font_bytes = (font_dir / filename).read_bytes()
        latin_bytes = cut_font(font_bytes, codepoints_of(LATIN_RANGES))
        latin.append(FontFace(FAMILY, style, latin_bytes))
        core.append(FontFace(FAMILY, style, cut_font(latin_bytes, codepoints_of(CORE_RANGES))))
        full.append(FontFace(FAMILY, style, font_bytes))
    for face in core + latin:  # parse now, not in the first request
        face.codepoints  # pylint: disable=pointless-statement
    return FontSet(FAMILY, (tuple(core), tuple(latin), tuple(full)))


def codepoints_of(ranges: tuple[tuple[int, int], ...]) -> frozenset[int]:
    return frozenset(code for low, high in ranges for code in range(low, high + 1))
