"""Raw mail bytes to plain facts (sender, subject, text, attachments), whatever the sending client got wrong.

Every later step reads a ``ParsedMail`` and never touches MIME. Real mail is often broken: 8-bit headers in an
unnamed charset, charsets that do not exist or lie, missing boundaries, CR-only line endings, NUL bytes. The
standard library (``email.policy.default``) does the MIME work; this module adds only the lenience around it, so
``parse_mail`` never raises and names what it had to repair in ``ParsedMail.defects``.

Text is chosen like a mail client shows it: the inline ``text/plain`` parts when they say something, else the
HTML turned into text (quotes as ``> `` lines). Parts of an attached or returned message (``message/rfc822``) are
not the sender's own words: that message is an attachment.
"""
from __future__ import annotations

import codecs
import email.message
import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import decode_header
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from types import MappingProxyType

from .html_text import html_to_text

_CHARSET_ALIASES = MappingProxyType({
    "unicode-1-1-utf-7": "utf-7", "x-unicode-2-0-utf-7": "utf-7", "utf8": "utf-8", "x-user-defined": "cp1252",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "ascii", "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "x-mac-roman": "mac-roman",
})
_UNNAMED_CHARSETS = {"", "unknown-8bit", "x-unknown", "unknown", "none", "default", "8bit", "binary"}
_LATIN_FAMILY = {"ascii", "cp1252", "latin-1", "iso8859-1", "iso8859-15", "cp1250", "iso8859-2", "utf-8"}
_ADDRESS = re.compile(r"[^\s<>\"(),;:@\\]+@[^\s<>\"(),;:@\\]+\.[^\s<>\"(),;:@\\]+")
_LOOSE_ADDRESS = re.compile(r"(?:^|(?<=[\s<,;:\"']))(" + _ADDRESS.pattern + r")(?=$|[\s>,;\"'])")
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FOLD = re.compile(r"\r?\n[ \t]*")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_BODY_TYPES = ("text/plain", "text/html")
MAX_PARTS = 500            # a mail with more MIME parts is read only this far (the stdlib's parts are slow)
MAX_HEADER_CHARS = 16_000  # longer header values are cut before decoding


class _ReadingPolicy(EmailPolicy):
    """``email.policy.default``, except that a header value seen before is not parsed again.

    Every ``get_content_type()`` parses the Content-Type header anew, and the parsers ask for it a dozen times per
    mail; most values ("text/plain; charset=utf-8") repeat from mail to mail. Header objects are immutable, so
    one parse can serve every message."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name") or len(value) > _CACHED_HEADER_CHARS:
            return super().header_fetch_parse(name, value)
        return _parsed_header(self.header_factory, name, value)


_CACHED_HEADER_CHARS = 500
_LINE_BREAK = re.compile(r"\r|\n")


@lru_cache(maxsize=4096)
def _parsed_header(factory, name: str, value: str):
    return factory(name, _LINE_BREAK.sub("", value))  # as EmailPolicy does: only CR and LF, not splitlines()


default_policy = _ReadingPolicy()


@dataclass(frozen=True)
class Attachment:
    """One file or embedded part that is not the body text."""

    filename: str | None
    content_type: str          # lowercased, e.g. "text/csv"
    payload: bytes             # decoded bytes


@dataclass(frozen=True)
class ParsedMail:
    """What one received mail says, as plain facts; ``message`` is kept for the calendar and robot parsers."""

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


@dataclass(frozen=True)
class _Body:
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]


def parse_mail(raw: bytes) -> ParsedMail:
    """Read one RFC 5322 message; never raises, whatever the bytes (broken parts are noted in ``defects``)."""
    try:
        message, repairs = _parsed(_normalised_bytes(raw))
        body = _safe_body(message)
        return _facts(message, body, repairs + body.notes)
    except Exception as exc:  # noqa: BLE001 - the stdlib parser is lenient, but a poison mail must not stop us
        return _unreadable(bytes(raw or b""), exc)


def _unreadable(data: bytes, exc: Exception) -> ParsedMail:
    """What is left of a mail the parser could not read at all: its bytes as text, and no sender to answer."""
    message = email.message.EmailMessage(policy=default_policy)
    text = _lines(data.decode("utf-8", "replace"))
    return ParsedMail(message, None, None, "", None, (), (), "", None, None, (), text, None, (), (),
                      (f"unreadable message: {type(exc).__name__}: {exc}",))


def _parsed(data: bytes) -> tuple[email.message.EmailMessage, tuple[str, ...]]:
    """The parsed message; a multipart whose boundary parameter is broken is parsed again with the boundary
    its body evidently uses."""
    message = BytesParser(policy=default_policy).parsebytes(data)
    payload = message.get_payload()
    if message.get_content_maintype() != "multipart" or (isinstance(payload, list) and payload):
        return message, ()
    boundary = _boundary_in_body(data)
    if boundary is None or boundary == message.get_boundary():
        return message, ()
    repaired = BytesParser(policy=default_policy).parsebytes(_with_boundary(data, message, boundary))
    return repaired, (f"multipart boundary taken from the body: {boundary.decode('ascii', 'replace')}",)


def _facts(message: email.message.EmailMessage, body: _Body, notes: tuple[str, ...]) -> ParsedMail:
    sender_name, sender = _first_address(message, "From")
    return ParsedMail(
        message=message,
        message_id=_message_id(header_text(message, "Message-ID")),
        sender=sender, sender_name=sender_name,
        reply_to=_first_address(message, "Reply-To")[1],
        to=_addresses(message, "To"), cc=_addresses(message, "Cc"),
        subject=header_text(message, "Subject").strip(),
        date=_date(header_text(message, "Date")),
        in_reply_to=_message_id(header_text(message, "In-Reply-To")),
        references=_message_ids(header_text(message, "References")),
        text=body.text, html=body.html, attachments=body.attachments,
        auth_results=tuple(_all_header_texts(message, "Authentication-Results")),
        defects=_unique(_defect_notes(message) + notes + _header_notes(message, sender)),
    )


# --- the raw bytes -------------------------------------------------------------------------------------------

def _normalised_bytes(raw: bytes) -> bytes:
    """Bytes the parser reads well: no leading blank lines, no common indent, CR-only line ends (old Mac) as LF."""
    data = _dedented(bytes(raw or b""))
    data = re.sub(rb"\A[ \t]*\r?\n", b"", data, count=1) if data[:1] in (b" ", b"\t") else data
    data = data.lstrip(b"\r\n")
    first_cr, first_lf = data.find(b"\r"), data.find(b"\n")
    if first_cr != -1 and (first_lf == -1 or first_cr < first_lf - 1 or data[first_cr + 1:first_cr + 2] != b"\n"):
        data = re.sub(rb"\r(?!\n)", b"\n", data)
    return data


def _dedented(data: bytes) -> bytes:
    """A whole message indented (pasted or exported by Exchange 6.5) loses the indent of its first header line."""
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
    head, separator, body = data[:split.start()], data[split.start():split.end()], data[split.end():]
    head = re.sub(rb"(?im)^content-type:.*(?:\r?\n[ \t].*)*(?:\r?\n|\Z)", b"", head).rstrip(b"\r\n")
    kind = message.get_content_type().encode("ascii", "replace")
    return head + b'\nContent-Type: ' + kind + b'; boundary="' + boundary + b'"' + separator + body


# --- headers -------------------------------------------------------------------------------------------------

def header_text(msg: email.message.Message, name: str) -> str:
    """The first ``name`` header, decoded (RFC 2047, raw 8-bit guessed) and unfolded; "" if absent. Never raises."""
    values = _all_header_texts(msg, name)
    return values[0] if values else ""


def _all_header_texts(msg: email.message.Message, name: str) -> list[str]:
    return [_decoded_header(value) for value in _raw_headers(msg, name)]


def _raw_headers(msg: email.message.Message, name: str) -> list[str]:
    """Header values exactly as received (8-bit bytes kept as surrogates), so we decode them our own way."""
    try:
        return [str(value) for key, value in msg.raw_items() if key.lower() == name.lower()]
    except Exception:  # noqa: BLE001 - a header we cannot even list is a missing header
        return []


def _decoded_header(raw: str) -> str:
    raw = raw[:MAX_HEADER_CHARS]
    try:
        text = _FOLD.sub(" ", _recover_8bit(raw))
        return _CONTROL.sub("", _decode_encoded_words(text)).strip()
    except Exception:  # noqa: BLE001 - fall back to the undecoded text rather than lose the header
        return _CONTROL.sub("", raw.encode("utf-8", "replace").decode("utf-8")).strip()


def _recover_8bit(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogates; read them as UTF-8 if they are, else as Windows-1252."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    return decode_text(value.encode("utf-8", "surrogateescape"), None)[0]


def _decode_encoded_words(text: str) -> str:
    if "=?" not in text:
        return text
    pieces = []
    for chunk, charset in decode_header(text):
        if isinstance(chunk, str):
            pieces.append(chunk)
        elif charset is None:
            pieces.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            pieces.append(decode_text(chunk, charset)[0])
    return "".join(pieces)


def _addresses(message: email.message.Message, name: str) -> tuple[str, ...]:
    found = []
    for raw in _raw_headers(message, name):
        found.extend(address for _, address in _parsed_addresses(raw))
    return tuple(found)


def _first_address(message: email.message.Message, name: str) -> tuple[str, str | None]:
    raws = _raw_headers(message, name)
    pairs = _parsed_addresses(raws[0]) if raws else []
    return pairs[0] if pairs else ("", None)


def _parsed_addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, lowercased addr-spec) pairs; a header the stdlib cannot split is searched for addresses."""
    unfolded = _FOLD.sub(" ", _recover_8bit(raw[:MAX_HEADER_CHARS])).replace("\x00", "")
    try:
        pairs = getaddresses([unfolded])
    except Exception:  # noqa: BLE001
        pairs = []
    good = [(_decoded_header(name), address.lower()) for name, address in pairs if _ADDRESS.fullmatch(address)]
    if good:
        return good
    return [("", match.lower()) for match in _LOOSE_ADDRESS.findall(unfolded)]


def _message_id(value: str) -> str | None:
    ids = _message_ids(value)
    return ids[0] if ids else None


def _message_ids(value: str) -> tuple[str, ...]:
    found = _MSG_ID.findall(value)
    if not found:
        found = [token.strip("<>") for token in value.split() if token.strip("<>")]
    return tuple(f"<{item}>" for item in found)


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


# --- charsets ------------------------------------------------------------------------------------------------

def decode_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Bytes to text in the declared charset, or the charset they evidently are; also a note when we guessed.

    UTF-8 that is declared as ASCII or a Latin charset is read as UTF-8 (a valid multi-byte UTF-8 sequence is
    practically never Latin text, unless it decodes to C1 control characters); unknown charsets and invalid
    bytes fall back to Windows-1252 (cp1252) byte by byte."""
    if data.isascii() and _codec(declared) != "utf-7":
        return data.decode("ascii"), None
    codec = _codec(declared)
    if codec in (None, *_LATIN_FAMILY):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and (codec in (None, "utf-8") or not _C1_CONTROLS.search(text)):
            return text, _guess_note(declared, codec, "utf-8")
    if codec is not None:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError):
            if codec not in _LATIN_FAMILY:
                return data.decode(codec, "replace"), f"invalid {declared} bytes replaced"
    return _utf8_else_cp1252(data), _guess_note(declared, codec, "cp1252")


def _codec(declared: str | None) -> str | None:
    name = (declared or "").strip().strip("\"'").lower()
    if name in _UNNAMED_CHARSETS:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _CHARSET_ALIASES.get(codec, codec)


def _guess_note(declared: str | None, codec: str | None, used: str) -> str | None:
    if declared and codec is None:
        return f"unknown charset {declared!r}, read as {used}"
    if codec is None or codec == used:
        return None
    return f"declared {declared} but read as {used}"


def _utf8_else_cp1252(data: bytes) -> str:
    """Decode UTF-8, reading each invalid byte as Windows-1252 (mixed-charset bodies, e.g. a Latin signature)."""
    pieces, start = [], 0
    while start < len(data):
        try:
            pieces.append(data[start:].decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            pieces.append(data[start:start + exc.start].decode("utf-8"))
            bad = data[start + exc.start:start + exc.end]
            pieces.append(bad.decode("cp1252", "replace").replace("\ufffd", bad.decode("latin-1")))
            start += exc.end
    return "".join(pieces)


# --- body and attachments ------------------------------------------------------------------------------------

def _safe_body(message: email.message.EmailMessage) -> _Body:
    try:
        return _body(message)
    except Exception as exc:  # noqa: BLE001 - a body we cannot walk still leaves the headers usable
        return _Body("", None, (), (f"body unreadable: {type(exc).__name__}: {exc}",))


def _body(message: email.message.EmailMessage) -> _Body:
    plain, html, attachments, notes = [], [], [], []
    leaves = list(itertools.islice(_leaves(message), MAX_PARTS + 1))
    if len(leaves) > MAX_PARTS:
        notes.append(f"more than {MAX_PARTS} MIME parts; only the first {MAX_PARTS} read")
    for part in leaves[:MAX_PARTS]:
        kind = _content_type(part)
        if kind in _BODY_TYPES and not _is_attachment(part):
            text, note = _part_text(part)
            (plain if kind == "text/plain" else html).append(_unflowed(text, part) if kind == "text/plain" else text)
            notes.extend([note] if note else [])
        else:
            attachments.append(_attachment(part, kind))
    html_text = "\n".join(html) if html else None
    chosen = "\n".join(plain) if "".join(plain).strip() else (html_to_text(html_text) if html_text else "")
    text = _lines(chosen)
    return _Body(text + "\n" if text and not text.endswith("\n") else text, html_text, tuple(attachments),
                 tuple(notes))


def _leaves(part: email.message.Message):
    """Non-multipart parts in order; an attached message is one leaf (its parts are not the sender's words)."""
    payload = part.get_payload()
    if part.get_content_maintype() == "multipart" and isinstance(payload, list):
        for child in payload:
            yield from _leaves(child)
    else:
        yield part


def _content_type(part: email.message.Message) -> str:
    kind = part.get_content_type().lower()
    if kind.startswith("multipart/"):  # a multipart without its boundary: the parser kept it as one text
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
    return _decoded_header(str(name)) or None if name else None


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
    """RFC 3676 format=flowed: join soft-broken lines (ending in a space) of the same quote depth."""
    if str(part.get_param("format") or "").lower() != "flowed":
        return text
    delsp = str(part.get_param("delsp") or "").lower() == "yes"
    out: list[tuple[int, str]] = []
    soft_break = False
    for line in _lines(text).split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth + 1:] if line[depth:depth + 1] == " " else line[depth:]  # undo space-stuffing
        if soft_break and out and out[-1][0] == depth:
            out[-1] = (depth, out[-1][1] + content)
        else:
            out.append((depth, content))
        soft_break = content.endswith(" ") and content != "-- "
        if soft_break and delsp:
            out[-1] = (depth, out[-1][1][:-1])
    return "\n".join(">" * depth + (" " if depth else "") + content for depth, content in out)


def _lines(text: str) -> str:
    """Line ends as "\\n", no NUL or other control bytes but tab and form feed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", "", text)


# --- defects -------------------------------------------------------------------------------------------------

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
