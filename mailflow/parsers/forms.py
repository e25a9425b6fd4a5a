"""The plain-text forms people fill in by replying: reading them back from real replies, and writing them.

A form is a block of ``Label: value`` lines; a list field continues on numbered lines below its label. Labels
are read in English and German whatever the mail's language, at the start of a line only (after quote markers),
in any case, with "*bold*" stars, umlauts written out ("Ueber mich"), hints in brackets and both languages joined
by "/" (as we write them). Replies are messy, so the reader expects the form quoted ("> ", "> > "), top-posted above
an Outlook "From:/Sent:" block, re-wrapped by the client, or answered interleaved below a quoted label. Where one
field appears several times, a filled value beats an empty one, the person's own (less quoted) text beats our
quoted original, and then the first one wins.

Readers only turn text into typed values and per-field problems; what to do with them is the handlers' business,
and so is every rule that needs a clock (a meeting in the past).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from types import MappingProxyType
from typing import Callable, Mapping
from zoneinfo import ZoneInfo, available_timezones

from .dates import parse_date, parse_minutes, parse_time


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field: ``problem`` is a key of PROBLEM_TEXT, ``value`` what the person wrote."""

    field: str
    problem: str
    value: str


@dataclass(frozen=True)
class FormResult:
    """What a reader found: typed values that are valid, the raw text per field (to send back prefilled), errors.

    ``found_any`` tells "no form here" from "a bad form"; ``found_unquoted`` tells whether any label appeared in the
    person's own text rather than only in the quoted original (or below an Outlook "From:" block)."""

    values: dict[str, object]
    raw: dict[str, str | list[str]]
    errors: tuple[FieldError, ...]
    found_any: bool
    found_unquoted: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Field:
    """A form field: its canonical name, its labels, and how its value runs on below the label line.

    kind "line": one value, continued only where a client re-wrapped it; "text": free text up to a blank line;
    "list": numbered (or bulleted) lines, or one line split at ``separators``."""

    name: str
    en: str
    de: str
    kind: str = "line"
    aliases: tuple[str, ...] = ()
    separators: str = ";"


_FORMS: Mapping[str, tuple[_Field, ...]] = MappingProxyType({
    "application": (
        _Field("role", "Role", "Rolle"),
        _Field("name", "Name", "Name"),
        _Field("language", "Language", "Sprache"),
        _Field("time_zone", "Time zone", "Zeitzone", aliases=("timezone",)),
        _Field("topics", "Topics", "Themen", kind="list", separators=";,"),
        _Field("capacity", "Capacity", "Kapazität"),
        _Field("about", "About me", "Über mich", kind="text"),
    ),
    "agreement": (
        _Field("period_from", "Period from", "Zeitraum von"),
        _Field("period_until", "Period until", "Zeitraum bis", aliases=("period to",)),
        _Field("number_of_meetings", "Number of meetings", "Anzahl der Treffen", aliases=("anzahl treffen",)),
        _Field("kind_of_contact", "Kind of contact", "Art der Kontaktaufnahme"),
        _Field("frequency_of_contact", "Frequency of contact", "Häufigkeit der Kontaktaufnahme"),
        _Field("topic_plan", "Topic plan", "Themenplan", kind="list"),
    ),
    "meeting": (
        _Field("date", "Date", "Datum"),
        _Field("time", "Time", "Uhrzeit"),
        _Field("duration_minutes", "Duration", "Dauer"),
        _Field("place", "Place", "Ort", aliases=("link", "location")),
        _Field("topic", "Topic", "Thema"),
        _Field("closing_meeting", "Closing meeting", "Abschlusstreffen"),
    ),
    "feedback": (
        _Field("took_place", "Took place", "Fand statt"),
        _Field("rating", "Rating", "Bewertung"),
        _Field("comment", "Comment", "Kommentar", kind="text"),
    ),
})

FORM_FIELDS: dict[str, tuple[str, ...]] = {form: tuple(f.name for f in fields) for form, fields in _FORMS.items()}
FIELD_LABELS: dict[str, dict[str, str]] = {
    f.name: {"en": f.en, "de": f.de} for fields in _FORMS.values() for f in fields
}

FIELD_ACCEPTS: dict[str, dict[str, str]] = {
    "role": {"en": "mentee or mentor", "de": "mentee oder mentor"},
    "name": {"en": "your name (at most 100 characters)", "de": "Ihr Name (höchstens 100 Zeichen)"},
    "language": {"en": "de or en", "de": "de oder en"},
    "time_zone": {"en": "a name like Europe/Berlin", "de": "ein Name wie Europe/Berlin"},
    "topics": {"en": "one topic per numbered line, or topics separated by semicolons",
               "de": "ein Thema pro nummerierter Zeile, oder Themen durch Semikolon getrennt"},
    "capacity": {"en": "a whole number from 1 to 20", "de": "eine ganze Zahl von 1 bis 20"},
    "about": {"en": "free text, at most 2000 characters", "de": "freier Text, höchstens 2000 Zeichen"},
    "period_from": {"en": "a date like 2026-12-03 or 3.12.2026", "de": "ein Datum wie 3.12.2026 oder 2026-12-03"},
    "period_until": {"en": "a date after the start, at most two years later",
                     "de": "ein Datum nach dem Beginn, höchstens zwei Jahre später"},
    "number_of_meetings": {"en": "a whole number from 1 to 50", "de": "eine ganze Zahl von 1 bis 50"},
    "kind_of_contact": {"en": "for example video calls, phone or in person (at most 200 characters)",
                        "de": "zum Beispiel Videoanruf, Telefon oder persönlich (höchstens 200 Zeichen)"},
    "frequency_of_contact": {"en": "for example every two weeks (at most 200 characters)",
                             "de": "zum Beispiel alle zwei Wochen (höchstens 200 Zeichen)"},
    "topic_plan": {"en": "at least one topic, one per numbered line (1. …, 2. …)",
                   "de": "mindestens ein Thema, eins pro nummerierter Zeile (1. …, 2. …)"},
    "date": {"en": "a date like 2026-12-03 or 3.12.2026", "de": "ein Datum wie 3.12.2026 oder 2026-12-03"},
    "time": {"en": "a time like 15:00, 15 Uhr or 3pm", "de": "eine Uhrzeit wie 15:00 oder 15 Uhr"},
    "duration_minutes": {"en": "minutes from 15 to 480, like 60, 90 min or 1.5 h",
                         "de": "Minuten von 15 bis 480, wie 60, 90 min oder 1,5 Std"},
    "place": {"en": "an address or a link (at most 500 characters)",
              "de": "eine Adresse oder ein Link (höchstens 500 Zeichen)"},
    "topic": {"en": "what you want to talk about (at most 300 characters)",
              "de": "worüber Sie sprechen möchten (höchstens 300 Zeichen)"},
    "closing_meeting": {"en": "yes or no", "de": "ja oder nein"},
    "took_place": {"en": "yes or no", "de": "ja oder nein"},
    "rating": {"en": "a whole number from 1 to 5, like 4, 4/5 or ★★★★",
               "de": "eine ganze Zahl von 1 bis 5, wie 4, 4/5 oder ★★★★"},
    "comment": {"en": "free text, at most 2000 characters", "de": "freier Text, höchstens 2000 Zeichen"},
}

PROBLEM_TEXT: dict[str, dict[str, str]] = {
    problem: {"en": f"{english} Accepted: {{accepted}}.", "de": f"{german} Erwartet wird: {{accepted}}."}
    for problem, english, german in (
        ("missing", "This field is missing or empty.", "Dieses Feld fehlt oder ist leer."),
        ("empty_list", "This list is empty.", "Diese Liste ist leer."),
        ("not_a_date", "We could not read this as a date.", "Das konnten wir nicht als Datum lesen."),
        ("not_a_time", "We could not read this as a time.", "Das konnten wir nicht als Uhrzeit lesen."),
        ("not_a_duration", "We could not read this as a duration.", "Das konnten wir nicht als Dauer lesen."),
        ("not_a_number", "We could not read this as a number.", "Das konnten wir nicht als Zahl lesen."),
        ("out_of_range", "This number is not possible here.", "Diese Zahl ist hier nicht möglich."),
        ("not_a_choice", "This is not one of the choices.", "Das ist keine der Möglichkeiten."),
        ("not_yes_no", "Please answer yes or no.", "Bitte antworten Sie mit ja oder nein."),
        ("not_a_rating", "We could not read this as a rating.", "Das konnten wir nicht als Bewertung lesen."),
        ("unknown_time_zone", "We do not know this time zone.", "Diese Zeitzone kennen wir nicht."),
        ("before_start", "The end of the period must come after its start.",
         "Das Ende des Zeitraums muss nach seinem Beginn liegen."),
        ("too_long", "The period can be at most two years long.", "Der Zeitraum darf höchstens zwei Jahre lang sein."),
        ("text_too_long", "This is too long.", "Das ist zu lang."),
    )
}


def explain(error: FieldError, language: str) -> str:
    """One sentence for the person, in their language, naming what is accepted for that field."""
    lang = _language_key(language)
    accepted = FIELD_ACCEPTS.get(error.field, {}).get(lang, "")
    return PROBLEM_TEXT[error.problem][lang].format(accepted=accepted)


def field_label(field_name: str, language: str) -> str:
    """The label as we print it: the mail's language first, the other after a slash ("Ort / Place")."""
    labels = FIELD_LABELS[field_name]
    first = _language_key(language)
    second = "en" if first == "de" else "de"
    if labels[first] == labels[second]:
        return labels[first]
    return f"{labels[first]} / {labels[second]}"


# ---------------------------------------------------------------- reading lines

@dataclass(frozen=True)
class _Line:
    depth: int
    text: str
    ignored: bool = False  # a mail header block ("From:/Date:") or PGP armor header ("Comment:"), never a field

    @property
    def content(self) -> str:
        return self.text.strip()

    @property
    def looks_wrapped(self) -> bool:
        """A client may have broken this line: it is as long as lines get before clients wrap them."""
        return len(self.text.rstrip()) >= _WRAP_WIDTH


@dataclass(frozen=True)
class _Entry:
    field: str
    depth: int
    position: int
    value: str | tuple[str, ...]


MEETING_MINUTES = (15, 480)  # shortest and longest meeting we plan
_WRAP_WIDTH = 50
_MAX_LINES = 5000  # a form sits near the top of a reply; a huge mail is not read to its end
_QUOTE = re.compile(r"^((?:[ \t]*>)+)[ \t]?")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u2007\u202f\t]")
_ITEM = re.compile(r"^(?:\d{1,2}[.)](?!\d)|[-*•·–](?=\s))\s*(.*)$")
_HINTS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
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
    r"^[*_]*(from|von|sent|gesendet|to|an|cc|date|datum|subject|betreff|references|received|precedence|"
    r"[a-z]+-[a-z0-9-]+)[*_]*:", re.IGNORECASE)
_SOME_LABEL = re.compile(r"^[*_]*[^\W\d_][\w -]{0,30}:(?!//)")


def _split_lines(text: str) -> list[_Line]:
    """Lines with their quote depth; everything below an Outlook-style header ("From:/Sent:", "-----Original
    Message-----") counts one level deeper, as that original is not quoted with ">" but is not the person's text."""
    raw_lines = _SPACES.sub(" ", _INVISIBLE.sub("", text)).replace("\r\n", "\n").replace("\r", "\n").split("\n")
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
    "Comment:"/"Version:" headers of a PGP armor (up to its first blank line), an iCalendar object's lines."""
    looks = [bool(_MAIL_HEADER.match(line.content)) for line in lines]

    def in_header_block(index: int) -> bool:
        """A header line next to another one, or two away with a (wrapped) non-blank line between."""
        near = [n for n in (index - 2, index - 1, index + 1, index + 2) if 0 <= n < len(lines)]
        return looks[index] and any(looks[n] and lines[n].depth == lines[index].depth
                                    and lines[(n + index) // 2].content for n in near)

    marked, in_armor, in_calendar = [], False, False
    for index, line in enumerate(lines):
        in_armor = bool(line.content) and (in_armor or line.content.startswith("-----BEGIN PGP"))
        in_calendar = (in_calendar or line.content == "BEGIN:VCALENDAR") and line.content != "END:VCALENDAR"
        ignored = in_armor or in_calendar or line.content == "END:VCALENDAR" or in_header_block(index)
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
    text = _LABEL_NOISE.sub(" ", _HINTS.sub(" ", label.casefold().translate(_UMLAUTS)))
    return " ".join(text.split())


def _label_index() -> dict[str, str]:
    """Every accepted spelling of every label of every form, normalised, to its field name."""
    index: dict[str, str] = {}
    for fields in _FORMS.values():
        for spec in fields:
            for label in (spec.en, spec.de, *spec.aliases):
                index[_normal_label(label)] = spec.name
    return index


def _match_label(line: _Line, labels: dict[str, str]) -> tuple[str, str] | None:
    """(field, value) when the line starts with a known label and a colon; "Ort / Place:" names one field.

    A label may be indented a little (HTML conversions do that) but not sit in a bulleted or indented block."""
    if line.ignored or len(line.text) - len(line.text.lstrip()) > _LABEL_INDENT:
        return None
    head, colon, value = line.content.replace("：", ":").partition(":")
    if not colon or len(head) > 80 or head[:1] in "-•·":
        return None
    names = {labels.get(_normal_label(part)) for part in _HINTS.sub(" ", head).split("/")}
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
        """Where the value of an empty label begins: the next line, or the person's answer below a quoted label."""
        for probe in range(index + 1, min(index + 4, len(self.lines))):
            line = self.lines[probe]
            if not line.content:
                continue
            lower = line.depth < depth or (line.depth == depth and probe == index + 1)
            own_label = _SOME_LABEL.match(line.content)  # "Beschreibung:" is the next field, not this answer
            return probe if lower and not own_label and not self.ends_value(probe, line.depth) else None
        return None


def _collect(text: str, fields: tuple[_Field, ...]) -> list[_Entry]:
    scan = _Scan(_split_lines(text), _label_index())
    by_name = {spec.name: spec for spec in fields}
    entries: list[_Entry] = []
    index = 0
    while index < len(scan.lines):
        hit = _match_label(scan.lines[index], scan.labels)
        if hit is None or hit[0] not in by_name:
            index += 1
            continue
        entry, index = _read_field(scan, index, by_name[hit[0]], hit[1])
        entries.append(entry)
    return entries


def _read_field(scan: _Scan, index: int, spec: _Field, first: str) -> tuple[_Entry, int]:
    """The value of the field labelled on line index, and the index of the first line after it."""
    depth = scan.lines[index].depth
    start = index + 1
    if not first and spec.kind != "list":
        answer = scan.answer_start(index, depth)
        if answer is not None:
            first, depth, start = scan.lines[answer].content, scan.lines[answer].depth, answer + 1
    if spec.kind == "list":
        items, end = _read_list(scan, index, spec, first)
        return _Entry(spec.name, _list_depth(scan, index), index, items), end
    parts, end = [first], start
    while not scan.ends_value(end, depth) and (spec.kind == "text" or _continues_wrapped(scan.lines, end)):
        parts.append(scan.lines[end].content)
        end += 1
    joiner = "\n" if spec.kind == "text" else " "
    return _Entry(spec.name, depth, index, joiner.join(parts).strip()), end


def _continues_wrapped(lines: list[_Line], index: int) -> bool:
    """Whether line index carries on a value its client wrapped: the line above is long, and this one is no label."""
    return lines[index - 1].looks_wrapped and not _SOME_LABEL.match(lines[index].content)


def _read_list(scan: _Scan, index: int, spec: _Field, first: str) -> tuple[tuple[str, ...], int]:
    items = [_item_text(part) for part in re.split(f"[{re.escape(spec.separators)}]", first)] if first else []
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
        if item:
            items.append(item.group(1).strip())
            numbered = True
        elif after_blank or (items and not scan.lines[end - 1].looks_wrapped and (numbered or first)):
            break
        elif items and scan.lines[end - 1].looks_wrapped:
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


def _item_text(text: str) -> str:
    item = _ITEM.match(text.strip())
    return (item.group(1) if item else text).strip()


def _choose(entries: list[_Entry]) -> dict[str, _Entry]:
    """Per field the entry that counts: filled before empty, the person's text before quotes, then the first."""
    chosen: dict[str, _Entry] = {}
    for entry in sorted(entries, key=lambda e: (not e.value, e.depth, e.position)):
        chosen.setdefault(entry.field, entry)
    return chosen


# ---------------------------------------------------------------- typed values and rules

class _Problem(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass
class _Checker:
    """Turns raw field text into typed values, noting one FieldError per field that is wrong."""

    raw: dict[str, str | list[str]]
    values: dict[str, object] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    def scalar(self, name: str, convert: Callable[[str], object], required: bool = True) -> object | None:
        text = str(self.raw.get(name, ""))
        if not text:
            if required:
                self.fail(name, "missing")
            return None
        try:
            self.values[name] = convert(text)
        except _Problem as problem:
            self.fail(name, problem.problem)
        return self.values.get(name)

    def items(self, name: str, longest: int) -> None:
        if name not in self.raw:
            self.fail(name, "missing")
            return
        items = list(self.raw[name])
        if not items:
            self.fail(name, "empty_list")
        elif any(len(item) > longest for item in items):
            self.fail(name, "text_too_long")
        else:
            self.values[name] = items

    def fail(self, name: str, problem: str) -> None:
        self.values.pop(name, None)
        raw = self.raw.get(name, "")
        self.errors.append(FieldError(name, problem, raw if isinstance(raw, str) else "; ".join(raw)))


_NUMBER_WORDS = {
    "one": 1, "ein": 1, "eins": 1, "eine": 1, "two": 2, "zwei": 2, "three": 3, "drei": 3, "four": 4, "vier": 4,
    "five": 5, "fünf": 5, "six": 6, "sechs": 6, "seven": 7, "sieben": 7, "eight": 8, "acht": 8, "nine": 9,
    "neun": 9, "ten": 10, "zehn": 10, "eleven": 11, "elf": 11, "twelve": 12, "zwölf": 12,
}
_YES = frozenset({"yes", "y", "ja", "j", "jep", "yep", "yeah", "true", "x", "✓", "✔", "ok", "okay"})
_NO = frozenset({"no", "n", "nein", "nope", "false", "nö", "-"})
_LANGUAGES = {"de": "de", "deutsch": "de", "german": "de", "ger": "de", "deu": "de",
              "en": "en", "english": "en", "englisch": "en", "eng": "en"}


def _first_word(text: str) -> str:
    words = re.findall(r"[\w✓✔-]+", text.casefold())
    return words[0] if words else ""


def _as_date(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError:
        raise _Problem("not_a_date") from None


def _as_time(text: str) -> time:
    try:
        return parse_time(text)
    except ValueError:
        raise _Problem("not_a_time") from None


def _as_minutes(text: str) -> int:
    try:
        minutes = parse_minutes(text)
    except ValueError:
        raise _Problem("not_a_duration") from None
    return _in_range(minutes, *MEETING_MINUTES)


def _in_range(number: int, lowest: int, highest: int) -> int:
    if not lowest <= number <= highest:
        raise _Problem("out_of_range")
    return number


def _counting(lowest: int, highest: int) -> Callable[[str], int]:
    """A reader of whole numbers ("6", "ca. 6 Treffen", "sechs") within a range."""
    def read(text: str) -> int:
        numbers = re.findall(r"\d+", text)
        if len(numbers) == 1 and not re.search(r"\d[.,]\d", text):
            return _in_range(int(numbers[0]), lowest, highest)
        words = [word for word in re.findall(r"\w+", text.casefold()) if word in _NUMBER_WORDS]
        if not numbers and len(words) == 1:
            return _in_range(_NUMBER_WORDS[words[0]], lowest, highest)
        raise _Problem("not_a_number")
    return read


def _text_up_to(longest: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        if len(text) > longest:
            raise _Problem("text_too_long")
        return text
    return read


def _as_yes_no(text: str) -> bool:
    word = _first_word(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _Problem("not_yes_no")


def _as_rating(text: str) -> int:
    cleaned = " ".join(text.casefold().split()).rstrip(".!")
    if cleaned and set(cleaned) <= set("★⭐☆ "):
        return _in_range(cleaned.count("★") + cleaned.count("⭐"), 1, 5)
    if re.fullmatch(r"\*{1,5}", cleaned):
        return len(cleaned)
    match = re.fullmatch(r"(\d+)\s*(?:(?:/|von|of|out of|aus)\s*5)?\s*(?:sterne?n?|stars?|punkte?n?|points?)?", cleaned)
    if not match:
        raise _Problem("not_a_rating")
    return _in_range(int(match.group(1)), 1, 5)


def _as_role(text: str) -> str:
    word = _first_word(text)
    for role in ("mentee", "mentor"):
        if word.startswith(role):
            return role
    raise _Problem("not_a_choice")


def _as_language(text: str) -> str:
    word = _first_word(text)
    if word not in _LANGUAGES:
        raise _Problem("not_a_choice")
    return _LANGUAGES[word]


def _as_time_zone(text: str) -> str:
    """An IANA zone name that zoneinfo knows; case and a missing region ("berlin") are forgiven when unique."""
    name = "_".join(_HINTS.sub(" ", text).split())
    zones = available_timezones()
    if name not in zones:
        wanted = name.casefold()
        matches = [zone for zone in zones if zone.casefold() == wanted or zone.casefold().endswith("/" + wanted)]
        name = matches[0] if len(matches) == 1 else ""
    try:
        return ZoneInfo(name).key
    except (ValueError, OSError, LookupError):
        raise _Problem("unknown_time_zone") from None


def _years_later(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


# ---------------------------------------------------------------- the four readers

def _read(form: str, text: str, rules: Callable[[_Checker], None]) -> FormResult:
    entries = _collect(text, _FORMS[form])
    chosen = _choose(entries)
    raw: dict[str, str | list[str]] = {
        name: list(entry.value) if isinstance(entry.value, tuple) else entry.value for name, entry in chosen.items()
    }
    checker = _Checker(raw)
    rules(checker)
    return FormResult(values=checker.values, raw=raw, errors=tuple(checker.errors), found_any=bool(entries),
                      found_unquoted=any(entry.depth == 0 for entry in entries))


def read_application(text: str) -> FormResult:
    """Role, name, language, time zone, topics, capacity (mentors: 1–20) and a free "about me"."""
    return _read("application", text, _application_rules)


def read_agreement(text: str) -> FormResult:
    """Period (until after from, at most two years), 1–50 meetings, kind and frequency of contact, topic plan."""
    return _read("agreement", text, _agreement_rules)


def read_meeting(text: str) -> FormResult:
    """Date, time, duration (15–480 minutes), place, topic and whether it is the closing meeting.

    Whether the date lies in the past needs a clock, so that is the caller's check."""
    return _read("meeting", text, _meeting_rules)


def read_feedback(text: str) -> FormResult:
    """Whether the meeting took place, a rating 1–5 (needed when it did) and a comment."""
    return _read("feedback", text, _feedback_rules)


def _application_rules(check: _Checker) -> None:
    role = check.scalar("role", _as_role)
    check.scalar("name", _text_up_to(100))
    check.scalar("language", _as_language, required=False)
    check.scalar("time_zone", _as_time_zone, required=False)
    check.items("topics", 100)
    if role != "mentee":
        check.scalar("capacity", _counting(1, 20), required=role == "mentor")
    check.scalar("about", _text_up_to(2000), required=False)


def _agreement_rules(check: _Checker) -> None:
    start = check.scalar("period_from", _as_date)
    end = check.scalar("period_until", _as_date)
    if isinstance(start, date) and isinstance(end, date):
        if end <= start:
            check.fail("period_until", "before_start")
        elif end > _years_later(start, 2):
            check.fail("period_until", "too_long")
    check.scalar("number_of_meetings", _counting(1, 50))
    check.scalar("kind_of_contact", _text_up_to(200))
    check.scalar("frequency_of_contact", _text_up_to(200))
    check.items("topic_plan", 300)


def _meeting_rules(check: _Checker) -> None:
    check.scalar("date", _as_date)
    check.scalar("time", _as_time)
    check.scalar("duration_minutes", _as_minutes)
    check.scalar("place", _text_up_to(500))
    check.scalar("topic", _text_up_to(300))
    check.scalar("closing_meeting", _as_yes_no, required=False)
    if not check.raw.get("closing_meeting"):
        check.values["closing_meeting"] = False


def _feedback_rules(check: _Checker) -> None:
    took_place = check.scalar("took_place", _as_yes_no)
    check.scalar("rating", _as_rating, required=took_place is True)
    check.scalar("comment", _text_up_to(2000), required=False)


# ---------------------------------------------------------------- writing forms

def render_form(form: str, values: Mapping[str, object], language: str) -> str:
    """The plain-text block we send, prefilled with typed or raw values; read_<form> reads it back.

    Labels come in the mail's language with the other after a slash; lists as numbered lines (an empty list
    as a lone "1."); dates as ISO in English and as 3.12.2026 in German."""
    lines: list[str] = []
    for spec in _FORMS[form]:
        label = field_label(spec.name, language)
        value = values.get(spec.name)
        if spec.kind == "list":
            lines.append(f"{label}:")
            items = _render_items(value)
            lines.extend(f"{number}. {item}".rstrip() for number, item in enumerate(items or [""], start=1))
        else:
            text_lines = [line for line in _render_value(value, language).splitlines() if line.strip()]
            lines.append(f"{label}: {text_lines[0] if text_lines else ''}".rstrip())
            lines.extend(text_lines[1:])
    return "\n".join(lines) + "\n"


def _render_items(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [_item_text(part) for part in re.split(r"[;\n]", value) if part.strip()]
    return [" ".join(str(item).split()) for item in value if str(item).strip()]  # type: ignore[attr-defined]


def _render_value(value: object, language: str) -> str:
    german = _language_key(language) == "de"
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nein") if german else ("yes" if value else "no")
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year}" if german else value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value)
    if isinstance(value, timedelta):
        return str(int(value.total_seconds() // 60))
    return str(value)


def _language_key(language: str) -> str:
    return "de" if language.lower().startswith("de") else "en"
