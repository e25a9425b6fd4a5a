"""Raw mail bytes to plain facts (sender, subject, text, attachments), whatever a client got wrong.

Every later step reads a ``ParsedMail`` and never touches MIME. Real mail is often broken: 8-bit
headers in an unnamed charset, charsets that do not exist or lie, missing boundaries, CR-only line
endings, NUL bytes. The standard library (``email.policy.default``) does the MIME work; this module
repairs the raw bytes and the boundary, and gathers the facts from mime_headers (header values) and
mime_parts (body text and attachments), so ``parse_mail`` never raises and names what it had to
repair in ``ParsedMail.defects``.
"""
from __future__ import annotations

import email.message
import re
from dataclasses import dataclass, replace
from datetime import datetime
from email.parser import BytesHeaderParser, BytesParser

from .mime_headers import (
    addresses, all_header_texts, default_policy, first_address, header_date, header_text,
    message_id, message_ids, sole_mailbox,
)
from .mime_parts import MAX_PARTS, Attachment, Body, clean_lines, safe_body


@dataclass(frozen=True)
class ParsedMail:
    """What one received mail says, as plain facts;
    ``message`` is kept for the calendar and robot parsers."""

    message: email.message.EmailMessage
    message_id: str | None     # normalised "<local@domain>" form, None if missing/empty
    sender: str | None         # From addr-spec, lowercased; None if missing or unparseable
    sender_name: str           # display name or ""
    reply_to: str | None
    to: tuple[str, ...]        # addr-specs, lowercased
    cc: tuple[str, ...]
    subject: str               # decoded, unfolded, stripped; "" if missing
    date: datetime | None      # aware UTC, None if missing/unparseable
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str                  # best plain text; lines end with "\n"; "" if none
    html: str | None
    attachments: tuple[Attachment, ...]
    auth_results: tuple[str, ...]   # raw Authentication-Results header values, in order
    defects: tuple[str, ...]   # human-readable notes of what was broken
    unread: str = ""           # why the body was not read at all (too many parts), else ""


def parse_mail(raw: bytes) -> ParsedMail:
    """Read one RFC 5322 message; never raises,
    whatever the bytes (broken parts are noted in ``defects``)."""
    try:
        data = _normalised_bytes(raw)
        if data.count(b"\n--") > 2 * MAX_PARTS:  # parsing them all would hold the worker for long
            return _headers_only(data, f"more than {2 * MAX_PARTS} MIME boundaries; body not read")
        message, repairs = _parsed(data)
        body = safe_body(message)
        return _facts(message, body, repairs + body.notes)
    except Exception as exc:  # noqa: BLE001
        # the stdlib parser is lenient, but a poison mail must not stop us
        return _unreadable(bytes(raw or b""), exc)


def _headers_only(data: bytes, why: str) -> ParsedMail:
    """A mail too complex to read in full: its headers (so its sender can be told), no body."""
    message = BytesHeaderParser(policy=default_policy).parsebytes(data)
    return replace(_facts(message, Body("", None, (), (why,)), ()), unread=why)


def _unreadable(data: bytes, exc: Exception) -> ParsedMail:
    """What is left of a mail the parser could not read at all:
    its bytes as text, and no sender to answer."""
    message = email.message.EmailMessage(policy=default_policy)
    text = clean_lines(data.decode("utf-8", "replace"))
    return ParsedMail(message, None, None, "", None, (), (), "", None, None, (), text, None, (), (),
                      (f"unreadable message: {type(exc).__name__}: {exc}",))


def _parsed(data: bytes) -> tuple[email.message.EmailMessage, tuple[str, ...]]:
    """The parsed message; a multipart whose boundary parameter is broken is parsed again with the
    boundary its body evidently uses."""
    message = BytesParser(policy=default_policy).parsebytes(data)
    payload = message.get_payload()
    if message.get_content_maintype() != "multipart" or (isinstance(payload, list) and payload):
        return message, ()
    boundary = _boundary_in_body(data)
    if boundary is None or boundary == message.get_boundary():
        return message, ()
    repaired = BytesParser(policy=default_policy).parsebytes(
        _with_boundary(data, message, boundary))
    note = f"multipart boundary taken from the body: {boundary.decode('ascii', 'replace')}"
    return repaired, (note,)


def _facts(message: email.message.EmailMessage, body: Body, notes: tuple[str, ...]) -> ParsedMail:
    sender_name, sender = sole_mailbox(message, "From")
    return ParsedMail(
        message=message,
        message_id=message_id(header_text(message, "Message-ID")),
        sender=sender, sender_name=sender_name,
        reply_to=first_address(message, "Reply-To")[1],
        to=addresses(message, "To"), cc=addresses(message, "Cc"),
        subject=header_text(message, "Subject").strip(),
        date=header_date(header_text(message, "Date")),
        in_reply_to=message_id(header_text(message, "In-Reply-To")),
        references=message_ids(header_text(message, "References")),
        text=body.text, html=body.html, attachments=body.attachments,
        auth_results=tuple(all_header_texts(message, "Authentication-Results")),
        defects=_unique(_defect_notes(message) + notes + _header_notes(message, sender)),
    )


def _normalised_bytes(raw: bytes) -> bytes:
    """Bytes the parser reads well: no leading blank lines, no common indent,
    CR-only line ends (old Mac) as LF."""
    data = _dedented(bytes(raw or b""))
    data = re.sub(rb"\A[ \t]*\r?\n", b"", data, count=1) if data[:1] in (b" ", b"\t") else data
    data = data.lstrip(b"\r\n")
    first_cr, first_lf = data.find(b"\r"), data.find(b"\n")
    if first_cr != -1 and (first_lf == -1 or first_cr < first_lf - 1
                           or data[first_cr + 1:first_cr + 2] != b"\n"):
        data = re.sub(rb"\r(?!\n)", b"\n", data)
    return data


def _dedented(data: bytes) -> bytes:
    """A whole message indented (pasted or exported by Exchange 6.5) loses the indent of its first
    header line."""
    indent = re.match(rb"([ \t]+)[\w-]+:", data)
    if indent is None:
        return data
    return re.sub(rb"(?m)^" + re.escape(indent.group(1)), b"", data)


def _boundary_in_body(data: bytes) -> bytes | None:
    """The delimiter the body uses: a ``--token`` line that also closes as ``--token--``."""
    closes = re.findall(rb"(?m)^--([^\s]{1,70}?)--[ \t]*\r?$", data)
    opens = set(re.findall(rb"(?m)^--([^\s]{1,70}?)[ \t]*\r?$", data))
    return next((token for token in closes if token in opens), None)


def _with_boundary(data: bytes, message: email.message.Message, boundary: bytes) -> bytes:
    split = re.search(rb"\r?\n\r?\n", data)
    if split is None:
        return data
    head, separator, body = data[:split.start()], split.group(), data[split.end():]
    head = re.sub(rb"(?im)^content-type:.*(?:\r?\n[ \t].*)*(?:\r?\n|\Z)", b"", head).rstrip(b"\r\n")
    kind = message.get_content_type().encode("ascii", "replace")
    return head + b'\nContent-Type: ' + kind + b'; boundary="' + boundary + b'"' + separator + body


# --- defects ------------------------------------------------------------------------------------

def _defect_notes(message: email.message.Message) -> tuple[str, ...]:
    notes = []
    try:
        for part in message.walk():
            notes.extend(_defect_text(defect) for defect in part.defects)
    except Exception as exc:  # noqa: BLE001
        notes.append(f"structure unreadable: {exc}")
    return tuple(notes)


def _defect_text(defect: Exception) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
    detail = str(defect)
    return f"{words}: {detail}" if detail and detail.lower() != words else words


def _header_notes(message: email.message.Message, sender: str | None) -> tuple[str, ...]:
    notes = []
    if sender is None:
        notes.append("no readable From address")
    if any("\x00" in str(value) for _, value in message.raw_items()):
        notes.append("NUL bytes in headers removed")
    return tuple(notes)


def _unique(notes: tuple[str | None, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(note for note in notes if note))
