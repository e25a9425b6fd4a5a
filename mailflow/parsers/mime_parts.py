"""A mail's parts sorted into body text and attachments, the text parts decoded to text.

Text is chosen like a mail client shows it: the inline ``text/plain`` parts when they say something,
else the HTML turned into text (quotes as ``> `` lines). Parts of an attached or returned message
(``message/rfc822``) are not the sender's own words: that message is an attachment.
"""
from __future__ import annotations

import email.message
import itertools
import re
from dataclasses import dataclass

from .html_text import html_to_text
from .mime_charsets import decode_text
from .mime_headers import decoded_header

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_BODY_TYPES = ("text/plain", "text/html")
# a mail with more MIME parts is read only this far (the stdlib's parts are slow)
MAX_PARTS = 500
# What one mail may cost a worker: a command or a form sits at the top of a reply, so text beyond
# these is not read (HTML to text runs at ~1.6 s per MB; 300,000 characters are well over any real
# reply).
MAX_HTML_CHARS = 300_000
MAX_TEXT_CHARS = 1_000_000


@dataclass(frozen=True)
class Attachment:
    """One file or embedded part that is not the body text."""

    filename: str | None
    content_type: str          # lowercased, e.g. "text/csv"
    payload: bytes             # decoded bytes


@dataclass(frozen=True)
class Body:
    """What the parts of one mail come to:
    the text to read, the HTML as sent, the attachments, repair notes."""

    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]


def safe_body(message: email.message.EmailMessage) -> Body:
    """The body of a message; one that cannot even be walked is empty,
    with a note (the headers stay usable)."""
    try:
        return _body(message)
    except Exception as exc:  # noqa: BLE001 - a body we cannot walk still leaves the headers usable
        return Body("", None, (), (f"body unreadable: {type(exc).__name__}: {exc}",))


def _body(message: email.message.EmailMessage) -> Body:
    plain, html, attachments, notes = [], [], [], []
    leaves = list(itertools.islice(_leaves(message), MAX_PARTS + 1))
    if len(leaves) > MAX_PARTS:
        notes.append(f"more than {MAX_PARTS} MIME parts; only the first {MAX_PARTS} read")
    for part in leaves[:MAX_PARTS]:
        kind = _content_type(part)
        if kind in _BODY_TYPES and not _is_attachment(part):
            text, note = _part_text(part)
            if kind == "text/plain":
                plain.append(_unflowed(text, part))
            else:
                html.append(text)
            notes.extend([note] if note else [])
        else:
            attachments.append(_attachment(part, kind))
    html_text = "\n".join(html) if html else None
    shown, cut = _shown_text(plain, html_text)
    return Body(shown, html_text, tuple(attachments), tuple(notes + cut))


def _shown_text(plain: list[str], html_text: str | None) -> tuple[str, list[str]]:
    """What a mail client shows: the plain parts when they say something, else the HTML as text;
    each read up to its cap (and a note when it was cut)."""
    if "".join(plain).strip():
        chosen, cap, kind = "\n".join(plain), MAX_TEXT_CHARS, "text"
    else:
        chosen, cap, kind = html_text or "", MAX_HTML_CHARS, "HTML"
    notes = [f"{kind} of {len(chosen):,} characters: only the first {cap:,} read"] \
        if len(chosen) > cap else []
    chosen = chosen[:cap]
    text = clean_lines(html_to_text(chosen) if kind == "HTML" and chosen else chosen)
    return (text + "\n" if text and not text.endswith("\n") else text), notes


def _leaves(part: email.message.Message):
    """Non-multipart parts in order; an attached message is one leaf
    (its parts are not the sender's words)."""
    payload = part.get_payload()
    if part.get_content_maintype() == "multipart" and isinstance(payload, list):
        for child in payload:
            yield from _leaves(child)
    else:
        yield part


def _content_type(part: email.message.Message) -> str:
    kind = part.get_content_type().lower()
    # a multipart without its boundary: the parser kept it as one text
    if kind.startswith("multipart/"):
        return "text/plain"
    return kind


def _is_attachment(part: email.message.Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(_filename(part))


def _filename(part: email.message.Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        return None
    return decoded_header(str(name)) or None if name else None


def _part_text(part: email.message.Message) -> tuple[str, str | None]:
    data = _payload_bytes(part)
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 form
        charset = charset[2]
    if not charset and _content_type(part) == "text/html":
        found = _META_CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii", "replace") if found else None
    return decode_text(data, str(charset) if charset else None)


def _payload_bytes(part: email.message.Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding: keep what is there
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _attachment(part: email.message.Message, kind: str) -> Attachment:
    if kind == "message/rfc822" or isinstance(part.get_payload(), list):
        payload = _embedded_message_bytes(part)
    else:
        payload = _payload_bytes(part)
    return Attachment(_filename(part), kind, payload)


def _embedded_message_bytes(part: email.message.Message) -> bytes:
    payload = part.get_payload()
    try:
        inner = payload[0] if isinstance(payload, list) and payload else payload
        return inner.as_bytes() if hasattr(inner, "as_bytes") else _payload_bytes(part)
    except Exception:  # noqa: BLE001
        return b""


def _unflowed(text: str, part: email.message.Message) -> str:
    """RFC 3676 format=flowed: join soft-broken lines
    (ending in a space) of the same quote depth."""
    if str(part.get_param("format") or "").lower() != "flowed":
        return text
    delsp = str(part.get_param("delsp") or "").lower() == "yes"
    out: list[tuple[int, str]] = []
    soft_break = False
    for line in clean_lines(text).split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        # undo space-stuffing
        content = line[depth + 1:] if line[depth:depth + 1] == " " else line[depth:]
        if soft_break and out and out[-1][0] == depth:
            out[-1] = (depth, out[-1][1] + content)
        else:
            out.append((depth, content))
        soft_break = content.endswith(" ") and content != "-- "
        if soft_break and delsp:
            out[-1] = (depth, out[-1][1][:-1])
    return "\n".join(">" * depth + (" " if depth else "") + content for depth, content in out)


def clean_lines(text: str) -> str:
    """Line ends as "\\n", no NUL or other control bytes but tab and form feed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", "", text)

