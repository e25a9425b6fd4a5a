"""What a person actually wrote in a reply:
their new text without the quoted mail, quote headers and signatures.

Commands and comments are read from this text, so it must not contain our own quoted words ("ACCEPT"
in the mail they answer) and must keep every line they typed. Mail clients mark the quoted part in
many ways; each way is one small named rule below, so a new client means a new rule, not a new
branch in a long function:

* an attribution ("On … wrote:", "Am … schrieb …:", "X <x@y> schrieb am …:"), possibly wrapped over
  up to three lines. When ``>`` quoted lines follow it, the person may answer inline below the
  quote, so we drop the header and the quoted lines and read on; otherwise everything below the
  header is the old mail and is dropped;
* a block that always starts the old mail: Outlook header blocks (From:/Sent:, Von:/Gesendet:, also
  ``*bold*``), "-----Original Message-----", "-----Ursprüngliche Nachricht-----",
  "Begin forwarded message:";
* ``>`` quoted lines anywhere (interleaved answers keep the person's lines between them);
* signatures: the "-- " delimiter, a rule of underscores, and mobile footers ("Sent from my iPhone",
  "Von meinem iPhone gesendet", "Get Outlook for iOS", "Gesendet von meinem …"); everything below is
  dropped.

The input is a plain-text body (HTML is turned into text elsewhere, with blockquotes as
``>`` lines).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class QuoteHeader:
    """One way a client introduces the quoted mail.

    ``max_lines``: how many physical lines the header may be wrapped over; ``inline``: an
    attribution that may be followed by ``>`` lines with the person's answers between them (else the
    header ends the new text); ``followed_by``: a line that must come within the next two lines (an
    Outlook block is From: plus Sent:/To:); ``start``: what the first of several wrapped lines must
    contain, so a line of text above is not swallowed."""

    name: str
    pattern: re.Pattern[str]
    max_lines: int = 1
    inline: bool = False
    followed_by: re.Pattern[str] | None = None
    start: re.Pattern[str] | None = None  # what the first line of a wrapped header must contain
    # GroupWise's ">>> x@y 10/10/03 >>>" looks like a quoted line but is a header
    starts_quoted: bool = False


_OUTLOOK_LABEL = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|reply-to|gesendet|datum|an|betreff|kopie|risposta|data|a|"
    r"oggetto)\s*:\*?(\s|$)",
    re.IGNORECASE)

QUOTE_HEADERS: tuple[QuoteHeader, ...] = (
    QuoteHeader("on_date_wrote", re.compile(r"^[-\s]*On\s.*\d.*\bwrote(:|\s+-+)\s*$"), 3,
                inline=True, start=re.compile(r"^[-\s]*On\s.*\d")),
    QuoteHeader("at_date_wrote", re.compile(r"^At\s.*\d.*\bwrote:\s*$"), 2, inline=True,
                start=re.compile(r"^At\s.*\d")),
    QuoteHeader("am_date_schrieb", re.compile(r"^Am\s.*\d.*\bschrieb\b.*:\s*$"), 3, inline=True,
                start=re.compile(r"^Am\s.*\d")),
    QuoteHeader("sender_schrieb_am", re.compile(r"^\S.*\bschrieb am\b.*\d.*:\s*$"), 3, inline=True,
                start=re.compile(r"\S@\S|\bschrieb am\b")),
    QuoteHeader("address_schrieb", re.compile(r"^\S[^@]*\S@\S.*\bschrieb:\s*$"), inline=True),
    QuoteHeader("address_wrote", re.compile(
        r"^\S[^@]*\S@\S.*\b(wrote|написал[аи]?|a écrit|ha scritto|escribió|skrev|schreef)\s*:\s*$",
        re.IGNORECASE),
        2, inline=True, start=re.compile(r"\d")),
    QuoteHeader("groupwise_arrows", re.compile(r"^>>>\s.*\d.*>>>\s*$"), starts_quoted=True),
    QuoteHeader("lotus_address_on_date", re.compile(
        r"^\S.{0,80}\S@\S+\s+on\s+\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")),
    QuoteHeader("original_message_dashes", re.compile(
        r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|original-nachricht"
        r"|originalnachricht|forwarded message|weitergeleitete nachricht)\s*-{2,}\s*$",
        re.IGNORECASE)),
    QuoteHeader("begin_forwarded", re.compile(
        r"^\s*(begin forwarded message|(anfang|beginn) der weitergeleiteten (nachricht|e-mail))"
        r"\s*:?\s*$",
        re.IGNORECASE)),
    QuoteHeader("outlook_header_block",
                re.compile(r"^\s*\*?(from|von|da|de)\s*:\*?\s*\S", re.IGNORECASE),
                followed_by=_OUTLOOK_LABEL),
)

SIGNATURES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^--\s*$"),  # RFC 3676 "-- ", and the same without or with extra trailing spaces
    # a rule of underscores: Outlook's quote separator or a signature block
    re.compile(r"^\s*_{8,}\s*$"),
    re.compile(r"^\s*\(?sent (from|via|with|using) .{1,70}$", re.IGNORECASE),
    re.compile(r"^\s*get (\[)?outlook for (ios|android)\b", re.IGNORECASE),
    re.compile(r"^\s*von meine[mr] .{1,60} gesendet\.?\s*$", re.IGNORECASE),
    re.compile(r"^\s*gesendet (von|mit|über|vom) .{1,60}$", re.IGNORECASE),
    re.compile(r"^\s*diese nachricht wurde von meinem .{1,70} gesendet\.?\s*$", re.IGNORECASE),
    re.compile(r"^\s*(envoyé depuis|enviado desde|inviato da|verzonden met|verstuurd vanaf)"
               r" .{1,60}$", re.IGNORECASE),
)

# Single lines that are neither the person's words nor the quoted mail: corporate warning banners.
NOISE: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*\[?(caution|external|warning|achtung|vorsicht)\b[^:]{0,20}\]?:.*"
               r"\b(outside|extern)", re.I),
)

_QUOTED = re.compile(r"^\s*>")
_MAX_HEADER_CHARS = 300


def new_text(body: str) -> str:
    """The text the person wrote in this reply,
    with quotes, quote headers and signatures removed."""
    lines = _normalised(body).split("\n")
    return _tidied(_own_lines(lines))


def _normalised(body: str) -> str:
    """Unix line ends, no byte-order marks, ordinary spaces."""
    return ((body or "").replace("\r\n", "\n").replace("\r", "\n")
            .replace("\ufeff", "").replace("\xa0", " "))


def _own_lines(lines: list[str]) -> list[str]:
    """The person's lines, top to bottom, up to where only old mail or a signature follows."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_signature(line):
            break
        header = _header_at(lines, index)
        if header is not None:
            rule, length = header
            if not (rule.inline and _quote_follows(lines, index + length)):
                break
            index += length
            continue
        if not (_is_quoted_at(lines, index) or _is_noise(line)):
            kept.append(line)
        index += 1
    return kept


def _is_signature(line: str) -> bool:
    return any(pattern.match(line) for pattern in SIGNATURES)


def _is_noise(line: str) -> bool:
    return any(pattern.match(line) for pattern in NOISE)


def _is_quoted_at(lines: list[str], index: int) -> bool:
    """A ``>`` line, or the tail of one that an undecoded quoted-printable soft break
    ("=") cut off."""
    if _QUOTED.match(lines[index]):
        return True
    previous = lines[index - 1] if index > 0 else ""
    return bool(lines[index].strip()) and bool(_QUOTED.match(previous)) and previous.endswith("=")


def _quote_follows(lines: list[str], start: int) -> bool:
    """Whether the next non-blank line from start is a ``>`` quoted line."""
    following = next((line for line in lines[start:] if line.strip()), "")
    return bool(_QUOTED.match(following))


def _header_at(lines: list[str], index: int) -> tuple[QuoteHeader, int] | None:
    """The quote header starting at this line and how many lines it spans, or None."""
    if not lines[index].strip():
        return None
    quoted = bool(_QUOTED.match(lines[index]))
    for rule in (rule for rule in QUOTE_HEADERS if rule.starts_quoted == quoted):
        for length in range(1, rule.max_lines + 1):
            if _header_matches(rule, lines, index, length):
                return rule, length
    return None


def _header_matches(rule: QuoteHeader, lines: list[str], index: int, length: int) -> bool:
    """Whether lines[index:index+length] are this header,
    and not merely a line of text before a shorter one."""
    window = lines[index:index + length]
    if len(window) < length or any(not line.strip() for line in window):
        return False
    text = _joined(window)
    if len(text) > _MAX_HEADER_CHARS or not rule.pattern.search(text):
        return False
    if length > 1 and not _starts_here(rule, window):
        return False
    following = lines[index + 1:index + 3]
    return rule.followed_by is None or any(rule.followed_by.match(line) for line in following)


def _starts_here(rule: QuoteHeader, window: list[str]) -> bool:
    """Whether a wrapped header begins on the window's first line rather than on the next one."""
    if rule.start is None or not rule.start.search(window[0]):
        return False
    later = rule.start.search(window[1]) and rule.pattern.search(_joined(window[1:]))
    return not later


def _joined(window: list[str]) -> str:
    """Wrapped header lines as one line; a trailing "="
    (an undecoded soft line break) joins without a space."""
    text = ""
    for line in window:
        if text.endswith("="):
            text = text[:-1] + line.strip()
        else:
            text = f"{text} {line.strip()}" if text else line.strip()
    return text


def _tidied(lines: list[str]) -> str:
    """Trailing spaces, runs of blank lines and leftover rules
    (a lone "-----" above a header) removed."""
    cleaned: list[str] = []
    for line in (line.rstrip() for line in lines):
        if line or (cleaned and cleaned[-1]):
            cleaned.append(line)
    while cleaned and (not cleaned[-1] or re.fullmatch(r"[\s\-_=*]+", cleaned[-1])):
        cleaned.pop()
    return "\n".join(cleaned)
