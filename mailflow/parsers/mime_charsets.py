"""Bytes to text in the charset they claim, or in the one they evidently are when that is wrong.

Mail declares charsets that do not exist ("x-user-defined"), names them loosely ("utf8", "latin1")
or lies (UTF-8 declared as us-ascii); 8-bit headers name none at all. Headers and body parts both
read their bytes through ``decode_text``, so they are forgiven the same way and say the same thing
when we had to guess.
"""
from __future__ import annotations

import codecs
import re
from types import MappingProxyType

_CHARSET_ALIASES = MappingProxyType({
    "unicode-1-1-utf-7": "utf-7", "x-unicode-2-0-utf-7": "utf-7", "utf8": "utf-8",
    "x-user-defined": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
    "us-ascii": "ascii", "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "x-mac-roman": "mac-roman",
})
_UNNAMED_CHARSETS = {
    "", "unknown-8bit", "x-unknown", "unknown", "none", "default", "8bit", "binary",
}
_LATIN_FAMILY = {
    "ascii", "cp1252", "latin-1", "iso8859-1", "iso8859-15", "cp1250", "iso8859-2", "utf-8",
}
_C1_CONTROLS = re.compile("[\x80-\x9f]")


def decode_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Bytes to text in the declared charset, or the charset they evidently are;
    also a note when we guessed.

    UTF-8 that is declared as ASCII or a Latin charset is read as UTF-8 (a valid multi-byte UTF-8
    sequence is practically never Latin text, unless it decodes to C1 control characters); unknown
    charsets and invalid bytes fall back to Windows-1252 (cp1252) byte by byte."""
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
    """Decode UTF-8, reading each invalid byte as Windows-1252 (mixed-charset bodies, e.g. a Latin
    signature). Linear and at C speed whatever the number of bad bytes: surrogateescape keeps each
    bad byte as U+DC80+byte (a fast path of the UTF-8 decoder), and one translate turns those into
    cp1252."""
    return data.decode("utf-8", "surrogateescape").translate(_ESCAPED_AS_CP1252)


# bytes 0x80-0xff escaped as U+DC80-U+DCFF -> their cp1252 character (Latin-1 where cp1252 has none)
_ESCAPED_AS_CP1252 = {0xDC00 + b: bytes([b]).decode("cp1252", "replace").replace("\ufffd", chr(b))
                      for b in range(0x80, 0x100)}
