"""A QR code drawn into a PDF as vector squares: sharp at any zoom and on paper, and no image to
encode. segno computes the symbol; each run of dark modules in a row is one rectangle.

The mask is fixed instead of chosen: segno tries all eight masks and scores each, which is most
of its time, and any mask is valid for a reader (ISO/IEC 18004 section 7.8)."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import segno
    from fpdf import FPDF

QR_SIZE = 26.0  # mm, the quiet zone included: comfortable for a phone at reading distance
QUIET_ZONE = 4  # modules, as the standard asks
MASK = 0


@lru_cache(maxsize=32)
def qr_code(link: str) -> segno.QRCode:
    """The QR code of link (error correction M: survives a crease or a stain). Kept for a while:
    the certificate and its badge draw the same one."""
    import segno  # here: only certificates and badges need it, not every process that imports us
    return segno.make(link, error="m", mask=MASK, micro=False)


def draw_qr(pdf: FPDF, link: str, *, x: float, top: float, size: float = QR_SIZE) -> None:
    """The QR code of link in black on white, size mm square with its quiet zone, at (x, top)."""
    matrix = qr_code(link).matrix
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, top, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row_number, row in enumerate(matrix):
        y = top + (row_number + QUIET_ZONE) * module
        for start, length in _dark_runs(row):
            pdf.rect(x + (start + QUIET_ZONE) * module, y, length * module, module, style="F")


def _dark_runs(row) -> list[tuple[int, int]]:
    """(first column, length) of each run of dark modules in one row of the matrix."""
    runs, start = [], None
    for column, dark in enumerate((*row, 0)):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            runs.append((start, column - start))
            start = None
    return runs
