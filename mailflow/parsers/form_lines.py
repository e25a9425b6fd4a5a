"""Finding the labelled values of a form in a reply, however the mail client delivered it.

A form is a block of ``Label: value`` lines; a list field continues on numbered lines below its
label. Labels are read in English and German whatever the mail's language, at the start of a line
only (after quote markers), in any case, with "*bold*" stars, umlauts written out ("Ueber mich"),
hints in brackets and both languages joined by "/" (as we write them). Replies are messy, so the
reader expects the form quoted ("> ", "> > "), top-posted above an Outlook "From:/Sent:" block,
re-wrapped by the client, or answered interleaved below a quoted label. Where one field appears
several times, a filled value beats an empty one, the person's own (less quoted) text beats our
quoted original, and then the first one wins.

What comes out is raw text per field; turning it into typed values is form_values' work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .form_fields import FORMS, Field


@dataclass(frozen=True)
class _Line:
    depth: int
    text: str
    # a mail header block ("From:/Date:") or PGP armor header ("Comment:"), never a field
    ignored: bool = False

    @property
    def content(self) -> str:
        return self.text.strip()

    @property
    def looks_wrapped(self) -> bool:
        """A client may have broken this line:
        it is as long as lines get before clients wrap them."""
        return len(self.text.rstrip()) >= _WRAP_WIDTH


@dataclass(frozen=True)
class Entry:
    field: str
    depth: int
    position: int
    value: str | tuple[str, ...]


_WRAP_WIDTH = 50
_MAX_LINES = 5000  # a form sits near the top of a reply; a huge mail is not read to its end
_QUOTE = re.compile(r"^((?:[ \t]*>)+)[ \t]?")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u2007\u202f\t]")
_ITEM = re.compile(r"^(?:\d{1,2}[.)](?!\d)|[-*•·–](?=\s))\s*(.*)$")
HINTS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LABEL_NOISE = re.compile(r"[*_\-]+")
_LABEL_INDENT = 3
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_UNQUOTED_ORIGINAL_HEADERS = (
    re.compile(r"^-{2,}\s*(original message|ursprüngliche nachricht|original-nachricht|"
               r"weitergeleitete nachricht|forwarded message)", re.IGNORECASE),
    re.compile(r"^_{10,}$"),
    re.compile(r"^(begin forwarded message|anfang der weitergeleiteten nachricht):", re.IGNORECASE),
)
_REPLY_HEADERS = (
    *_UNQUOTED_ORIGINAL_HEADERS,
    re.compile(r"^(on|am)\s.{0,200}\b(wrote|schrieb)\b", re.IGNORECASE),
    re.compile(r"\b(wrote|schrieb)\s*:?\s*$", re.IGNORECASE),
)
_HEADER_BLOCK_START = re.compile(r"^[*_]*(from|von)[*_]*:", re.IGNORECASE)
_HEADER_BLOCK_NEXT = re.compile(r"^[*_]*(sent|gesendet|date|datum|to|an)[*_]*:", re.IGNORECASE)
_MAIL_HEADER = re.compile(
    r"^[*_]*(from|von|sent|gesendet|to|an|cc|date|datum|subject|betreff|references|received|"
    r"precedence|[a-z]+-[a-z0-9-]+)[*_]*:", re.IGNORECASE)
_SOME_LABEL = re.compile(r"^[*_]*[^\W\d_][\w -]{0,30}:(?!//)")


def _split_lines(text: str) -> list[_Line]:
    """Lines with their quote depth; everything below an Outlook-style header ("From:/Sent:",
    "-----Original Message-----") counts one level deeper, as that original is not quoted with ">"
    but is not the person's text."""
    raw_lines = (_SPACES.sub(" ", _INVISIBLE.sub("", text))
                 .replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    raw_lines = raw_lines[:_MAX_LINES]
    lines: list[_Line] = []
    shift = 0
    for index, raw in enumerate(raw_lines):
        match = _QUOTE.match(raw)
        depth = match.group(1).count(">") if match else 0
        lines.append(_Line(depth + shift, raw[match.end():] if match else raw))
        if _starts_unquoted_original(raw_lines, index):
            shift += 1
    return _mark_ignored(lines)


def _mark_ignored(lines: list[_Line]) -> list[_Line]:
    """Flags lines that look like labels but are not ours: "Date:" in a block of mail headers, the
    "Comment:"/"Version:" headers of a PGP armor (up to its first blank line), an iCalendar object's
    lines."""
    looks = [bool(_MAIL_HEADER.match(line.content)) for line in lines]

    def in_header_block(index: int) -> bool:
        """A header line next to another one, or two away with a
        (wrapped) non-blank line between."""
        near = [n for n in (index - 2, index - 1, index + 1, index + 2) if 0 <= n < len(lines)]
        return looks[index] and any(looks[n] and lines[n].depth == lines[index].depth
                                    and lines[(n + index) // 2].content for n in near)

    marked, in_armor, in_calendar = [], False, False
    for index, line in enumerate(lines):
        in_armor = bool(line.content) and (in_armor or line.content.startswith("-----BEGIN PGP"))
        in_calendar = ((in_calendar or line.content == "BEGIN:VCALENDAR")
                       and line.content != "END:VCALENDAR")
        ignored = (in_armor or in_calendar or line.content == "END:VCALENDAR"
                   or in_header_block(index))
        marked.append(replace(line, ignored=ignored))
    return marked


def _starts_unquoted_original(raw_lines: list[str], index: int) -> bool:
    content = _QUOTE.sub("", raw_lines[index]).strip()
    if any(pattern.search(content) for pattern in _UNQUOTED_ORIGINAL_HEADERS):
        return True
    if not _HEADER_BLOCK_START.match(content):
        return False
    following = (_QUOTE.sub("", line).strip() for line in raw_lines[index + 1:index + 4])
    return any(_HEADER_BLOCK_NEXT.match(line) for line in following)


def _normal_label(label: str) -> str:
    text = _LABEL_NOISE.sub(" ", HINTS.sub(" ", label.casefold().translate(_UMLAUTS)))
    return " ".join(text.split())


def _label_index() -> dict[str, str]:
    """Every accepted spelling of every label of every form, normalised, to its field name."""
    index: dict[str, str] = {}
    for fields in FORMS.values():
        for spec in fields:
            for label in (spec.en, spec.de, *spec.aliases):
                index[_normal_label(label)] = spec.name
    return index


def _match_label(line: _Line, labels: dict[str, str]) -> tuple[str, str] | None:
    """(field, value) when the line starts with a known label and a colon;
    "Ort / Place:" names one field.

    A label may be indented a little (HTML conversions do that) but not sit in a bulleted or
    indented block."""
    if line.ignored or len(line.text) - len(line.text.lstrip()) > _LABEL_INDENT:
        return None
    head, colon, value = line.content.replace("：", ":").partition(":")
    if not colon or len(head) > 80 or head[:1] in "-•·":
        return None
    names = {labels.get(_normal_label(part)) for part in HINTS.sub(" ", head).split("/")}
    if len(names) != 1 or None in names:
        return None
    bold = re.match(r"[*_]+", head)
    if bold and value.startswith(bold.group()):
        value = value[len(bold.group()):]
    return names.pop(), _unbold(value.strip())


def _unbold(value: str) -> str:
    match = re.fullmatch(r"([*_]{1,2})(.+?)\1", value)
    if match and re.search(r"[^*_\s]", match.group(2)):
        return match.group(2).strip()
    return value


# ---------------------------------------------------------------- collecting field values

@dataclass
class _Scan:
    """One pass over the lines of a reply, collecting every labelled value it meets."""

    lines: list[_Line]
    labels: dict[str, str]

    def ends_value(self, index: int, depth: int) -> bool:
        """Whether the line at index cannot belong to a value at this depth."""
        if index >= len(self.lines):
            return True
        line = self.lines[index]
        content = line.content
        return (line.depth != depth or not content or content.startswith("--") or line.ignored
                or _match_label(line, self.labels) is not None
                or any(pattern.search(content) for pattern in _REPLY_HEADERS))

    def answer_start(self, index: int, depth: int) -> int | None:
        """Where the value of an empty label begins:
        the next line, or the person's answer below a quoted label."""
        for probe in range(index + 1, min(index + 4, len(self.lines))):
            line = self.lines[probe]
            if not line.content:
                continue
            lower = line.depth < depth or (line.depth == depth and probe == index + 1)
            # "Beschreibung:" is the next field, not this answer
            own_label = _SOME_LABEL.match(line.content)
            if lower and not own_label and not self.ends_value(probe, line.depth):
                return probe
            return None
        return None


def collect(text: str, fields: tuple[Field, ...]) -> list[Entry]:
    scan = _Scan(_split_lines(text), _label_index())
    by_name = {spec.name: spec for spec in fields}
    entries: list[Entry] = []
    index = 0
    while index < len(scan.lines):
        hit = _match_label(scan.lines[index], scan.labels)
        if hit is None or hit[0] not in by_name:
            index += 1
            continue
        entry, index = _read_field(scan, index, by_name[hit[0]], hit[1])
        entries.append(entry)
    return entries


def _read_field(scan: _Scan, index: int, spec: Field, first: str) -> tuple[Entry, int]:
    """The value of the field labelled on line index, and the index of the first line after it."""
    depth = scan.lines[index].depth
    start = index + 1
    if not first and spec.kind != "list":
        answer = scan.answer_start(index, depth)
        if answer is not None:
            first, depth, start = scan.lines[answer].content, scan.lines[answer].depth, answer + 1
    if spec.kind == "list":
        items, end = _read_list(scan, index, spec, first)
        return Entry(spec.name, _list_depth(scan, index), index, items), end
    parts, end = [first], start
    runs_on = spec.kind == "text"  # free text runs to a blank line, a line value only where wrapped
    while not scan.ends_value(end, depth) and (runs_on or _continues_wrapped(scan.lines, end)):
        parts.append(scan.lines[end].content)
        end += 1
    joiner = "\n" if spec.kind == "text" else " "
    return Entry(spec.name, depth, index, joiner.join(parts).strip()), end


def _continues_wrapped(lines: list[_Line], index: int) -> bool:
    """Whether line index carries on a value its client wrapped:
    the line above is long, and this one is no label."""
    return lines[index - 1].looks_wrapped and not _SOME_LABEL.match(lines[index].content)


def _read_list(scan: _Scan, index: int, spec: Field, first: str) -> tuple[tuple[str, ...], int]:
    separators = f"[{re.escape(spec.separators)}]"
    items = [item_text(part) for part in re.split(separators, first)] if first else []
    numbered, after_blank = False, False
    depth = _list_depth(scan, index)
    end = index + 1
    while end < len(scan.lines):
        line = scan.lines[end]
        if not line.content and line.depth == depth:
            after_blank, end = True, end + 1
            continue
        if scan.ends_value(end, depth):
            break
        item = _ITEM.match(line.content)
        wrapped = scan.lines[end - 1].looks_wrapped
        if item:
            items.append(item.group(1).strip())
            numbered = True
        elif after_blank or (items and not wrapped and (numbered or first)):
            break
        elif items and wrapped:
            items[-1] = f"{items[-1]} {line.content}".strip()
        else:
            items.append(line.content)
        after_blank, end = False, end + 1
    return tuple(item for item in items if item), end


def _list_depth(scan: _Scan, index: int) -> int:
    """Items sit at the label's depth, or below a quoted label where the person typed them."""
    depth = scan.lines[index].depth
    for line in scan.lines[index + 1:index + 4]:
        if line.content:
            return line.depth if line.depth < depth and _ITEM.match(line.content) else depth
    return depth


def item_text(text: str) -> str:
    item = _ITEM.match(text.strip())
    return (item.group(1) if item else text).strip()


def choose(entries: list[Entry]) -> dict[str, Entry]:
    """Per field the entry that counts: filled before empty, the person's text before quotes,
    then the first."""
    chosen: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: (not e.value, e.depth, e.position)):
        chosen.setdefault(entry.field, entry)
    return chosen

