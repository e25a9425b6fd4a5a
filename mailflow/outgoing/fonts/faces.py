"""The shipped font's Latin glyphs cut once per process into small fonts, parsed once, and handed to
each PDF cheaply.

Loaded on first use: importing fontTools and fpdf2 and cutting the faces take a process about a
second, and most processes (the SMTP receiver, `jobs --once`, a worker that only answers mail) never
draw a PDF. So the renderer imports this module with its first document, and shared_font_set cuts
the faces then, once per process, while the process's other threads wait for the same set.

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
import threading
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from . import FAMILY, FILES_BY_STYLE, FONT_DIR

# The cuts, smallest first; a document uses the smallest that has all its characters (fewer glyphs:
# faster output). Core: Latin-1, Extended-A, Romanian ș ț, Vietnamese (ơ ư and Extended Additional's
# Vietnamese block), punctuation.
CORE_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x1A0, 0x1A1), (0x1AF, 0x1B0), (0x218, 0x21B),
               (0x1EA0, 0x1EF9), (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC))
# Latin: all of Latin Extended-B and Extended Additional besides.
LATIN_RANGES = CORE_RANGES + ((0x180, 0x24F), (0x1E00, 0x1EFF))
# Tables that a PDF viewer never reads from an embedded font; fpdf2 drops the same ones at output.
UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "kern", "meta", "gasp")

_loading = threading.Lock()
_shared: list[FontSet] = []  # the process's set, once loaded


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


def shared_font_set() -> FontSet:
    """The process's font set, loaded by the first caller while any other waits: cut and parsed
    once per process, however many threads draw their first document at once."""
    with _loading:
        if not _shared:
            _shared.append(load_font_set())
        return _shared[0]


def load_font_set(font_dir: Path = FONT_DIR) -> FontSet:
    """Cut and parse the Latin faces now (a few hundred ms; shared_font_set does it once per
    process); the full faces wait for first use."""
    core, latin, full = [], [], []
    for style, filename in FILES_BY_STYLE.items():
        font_bytes = (font_dir / filename).read_bytes()
        latin_bytes = cut_font(font_bytes, codepoints_of(LATIN_RANGES))
        latin.append(FontFace(FAMILY, style, latin_bytes))
        core.append(FontFace(FAMILY, style, cut_font(latin_bytes, codepoints_of(CORE_RANGES))))
        full.append(FontFace(FAMILY, style, font_bytes))
    for face in core + latin:  # parse now, with the cuts, not in a later document
        face.codepoints  # pylint: disable=pointless-statement
    return FontSet(FAMILY, (tuple(core), tuple(latin), tuple(full)))


def codepoints_of(ranges: tuple[tuple[int, int], ...]) -> frozenset[int]:
    return frozenset(code for low, high in ranges for code in range(low, high + 1))
