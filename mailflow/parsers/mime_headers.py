"""Header values as a person reads them: decoded, unfolded, addresses and Message-IDs picked out.

Header bytes arrive in RFC 2047 encoded words, in raw 8-bit of no named charset, folded, with
control bytes, or with addresses the standard library cannot split; every reader here returns
something usable (at worst "" or nothing) and never raises. ``default_policy`` is the one the whole
mail is parsed with.
"""
from __future__ import annotations

import email.message
import re
from datetime import datetime, timezone
from email.header import decode_header
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from .mime_charsets import decode_text

_ADDRESS = re.compile(r"[^\s<>\"(),;:@\\]+@[^\s<>\"(),;:@\\]+\.[^\s<>\"(),;:@\\]+")
_LOOSE_ADDRESS = re.compile(r"(?:^|(?<=[\s<,;:\"']))(" + _ADDRESS.pattern + r")(?=$|[\s>,;\"'])")
_REGISTRY = HeaderRegistry()
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FOLD = re.compile(r"\r?\n[ \t]*")
MAX_HEADER_CHARS = 16_000  # longer header values are cut before decoding


class _ReadingPolicy(EmailPolicy):
    """``email.policy.default``, except that a header value seen before is not parsed again.

    Every ``get_content_type()`` parses the Content-Type header anew, and the parsers ask for it a
    dozen times per mail; most values ("text/plain; charset=utf-8") repeat from mail to mail. Header
    objects are immutable, so one parse can serve every message."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name") or len(value) > _CACHED_HEADER_CHARS:
            return super().header_fetch_parse(name, value)
        return _parsed_header(self.header_factory, name, value)


_CACHED_HEADER_CHARS = 500
_LINE_BREAK = re.compile(r"\r|\n")


@lru_cache(maxsize=4096)
def _parsed_header(factory, name: str, value: str):
    # as EmailPolicy does: only CR and LF, not splitlines()
    return factory(name, _LINE_BREAK.sub("", value))


default_policy = _ReadingPolicy()


def header_text(msg: email.message.Message, name: str) -> str:
    """The first ``name`` header, decoded (RFC 2047, raw 8-bit guessed) and unfolded;
    "" if absent. Never raises."""
    values = all_header_texts(msg, name)
    return values[0] if values else ""


def all_header_texts(msg: email.message.Message, name: str) -> list[str]:
    return [decoded_header(value) for value in _raw_headers(msg, name)]


def _raw_headers(msg: email.message.Message, name: str) -> list[str]:
    """Header values exactly as received (8-bit bytes kept as surrogates),
    so we decode them our own way."""
    wanted = name.lower()
    try:
        return [str(value) for key, value in msg.raw_items() if key.lower() == wanted]
    except Exception:  # noqa: BLE001 - a header we cannot even list is a missing header
        return []


def decoded_header(raw: str) -> str:
    raw = raw[:MAX_HEADER_CHARS]
    try:
        text = _FOLD.sub(" ", _recover_8bit(raw))
        return _CONTROL.sub("", _decode_encoded_words(text)).strip()
    except Exception:  # noqa: BLE001 - fall back to the undecoded text rather than lose the header
        return _CONTROL.sub("", raw.encode("utf-8", "replace").decode("utf-8")).strip()


def _recover_8bit(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogates;
    read them as UTF-8 if they are, else as Windows-1252."""
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


def addresses(message: email.message.Message, name: str) -> tuple[str, ...]:
    found = []
    for raw in _raw_headers(message, name):
        found.extend(address for _, address in _parsed_addresses(raw))
    return tuple(found)


def first_address(message: email.message.Message, name: str) -> tuple[str, str | None]:
    raws = _raw_headers(message, name)
    pairs = _parsed_addresses(raws[0]) if raws else []
    return pairs[0] if pairs else ("", None)


def sole_mailbox(message: email.message.Message, name: str) -> tuple[str, str | None]:
    """(display name, addr-spec) of the one mailbox a header names, for the sender's identity: None
    for the address when the header names none, several, or can be read as naming another
    (``"jonas@example.org"@evil.test``, ``jonas@example.org <mallory@evil.test>``). Our lenient
    reading and the standard library's RFC 5322 parser must agree on one plain addr-spec."""
    raws = _raw_headers(message, name)
    if len(raws) != 1:
        return ("", None)
    pairs = _parsed_addresses(raws[0])
    strict = _strict_addresses(raws[0])
    found = {address for _, address in pairs} | set(strict or ())
    if strict is None or len(found) != 1 or not _ADDRESS.fullmatch(next(iter(found))):
        return (pairs[0][0] if pairs else "", None)
    return pairs[0] if pairs else ("", strict[0])


def _strict_addresses(raw: str) -> list[str] | None:
    unfolded = _FOLD.sub(" ", _recover_8bit(raw[:MAX_HEADER_CHARS])).replace("\x00", "")
    try:
        header = _REGISTRY("From", unfolded)
    except Exception:  # noqa: BLE001 - a header the parser cannot take names nobody for sure
        return None
    return [address.addr_spec.lower() for address in header.addresses]


def _parsed_addresses(raw: str) -> list[tuple[str, str]]:
    """(display name, lowercased addr-spec) pairs;
    a header the stdlib cannot split is searched for addresses."""
    unfolded = _FOLD.sub(" ", _recover_8bit(raw[:MAX_HEADER_CHARS])).replace("\x00", "")
    try:
        pairs = getaddresses([unfolded])
    except Exception:  # noqa: BLE001
        pairs = []
    good = [(decoded_header(name), address.lower())
            for name, address in pairs if _ADDRESS.fullmatch(address)]
    if good:
        return good
    return [("", match.lower()) for match in _LOOSE_ADDRESS.findall(unfolded)]


def message_id(value: str) -> str | None:
    ids = message_ids(value)
    return ids[0] if ids else None


def message_ids(value: str) -> tuple[str, ...]:
    found = _MSG_ID.findall(value)
    if not found:
        found = [token.strip("<>") for token in value.split() if token.strip("<>")]
    return tuple(f"<{item}>" for item in found)


def header_date(value: str) -> datetime | None:
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
