"""The badge image of a credential: a PNG with the credential baked in (Open Badges 3.0 baking:
an iTXt chunk with the keyword `openbadgecredential` whose text is the VC-JWT), so that the
image a participant posts or uploads carries its own proof.

The picture is the verification QR code in the programme's green (segno draws it); the chunk is
placed before IEND with pypng, which keeps the other chunks and their CRCs as they are.
"""
from __future__ import annotations

import io

import png

from .pdf_qr import qr_code

KEYWORD = b"openbadgecredential"
GREEN = "#2d6a4f"  # pdf_layout.ACCENT, the green of our mails


def badge_png(credential_jwt: str, verification_link: str) -> bytes:
    """The QR code of verification_link as a PNG with credential_jwt baked in."""
    picture = io.BytesIO()
    qr_code(verification_link).save(picture, kind="png", scale=6, border=4, dark=GREEN,
                                    light="white")
    return bake(picture.getvalue(), credential_jwt)


def bake(picture: bytes, credential_jwt: str) -> bytes:
    """picture with one `openbadgecredential` iTXt chunk (an earlier one is replaced): keyword,
    NUL, no compression (flag 0, method 0), empty language tag and translated keyword (each
    NUL-terminated), then the UTF-8 text (PNG 1.2, section 11.3.4.5)."""
    chunks = [(kind, data) for kind, data in png.Reader(bytes=picture).chunks()
              if not (kind == b"iTXt" and data.startswith(KEYWORD + b"\0"))]
    text = KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + credential_jwt.encode("utf-8")
    chunks.insert(len(chunks) - 1, (b"iTXt", text))  # before IEND
    out = io.BytesIO()
    png.write_chunks(out, chunks)
    return out.getvalue()
