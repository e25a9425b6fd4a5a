"""Reading the calendar answers in incoming mail:
iTIP REPLY, COUNTER, CANCEL, REQUEST ... as plain facts.

A calendar client answers an invitation with an iTIP object (RFC 5546) inside the mail (iMIP, RFC
6047). Real clients hide it in many ways: ``text/calendar`` with or without ``method=``, in any
letter case, as ``application/ics`` or a ``.ics``/``.vcs`` attachment, base64 or quoted-printable
(sometimes broken), in odd charsets, with Windows time-zone names or TZIDs that have no VTIMEZONE.
This module finds every such object and turns each VEVENT into a ``CalendarAnswer``. It never raises
on bad input: what it cannot read it skips and names in ``CalendarReading.problems``. It knows
nothing about meetings or mentorships; handlers decide what an answer means.

Times come back aware, in UTC. Times the object leaves open (floating times, a TZID we cannot
resolve) are read in ``default_tz`` (the caller's programme zone; UTC when not given). All-day dates
become midnight UTC of that date with ``all_day=True``.

Calendars inside an attached or returned message (``message/rfc822``: a forward, a bounce) are not
read: they are not the sender's own answer.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from email.message import Message

from icalendar import Calendar, Event

from .calendar_zones import zone_for
from .mime_parts import MAX_PARTS

MAX_CALENDAR_CHARS = 200_000  # real invitations are a few kB; icalendar reads ~300 kB a second
MAX_SEQUENCE = 2**31 - 1  # RFC 5545 INTEGER is a signed 32-bit value; larger ones are clamped
CALENDAR_TYPES = frozenset({"text/calendar", "text/x-vcalendar", "application/ics",
                            "application/calendar", "text/x-calendar", "application/x-ics"})
CALENDAR_SUFFIXES = (".ics", ".vcs", ".ical", ".ifb")
_BEGIN = re.compile(r"^BEGIN:VCALENDAR\s*$", re.IGNORECASE | re.MULTILINE)
_MAILTO = re.compile(r"^\s*mailto:", re.IGNORECASE)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttendeeAnswer:
    """One ATTENDEE line: who, and what they said
    (PARTSTAT, RFC 5545 §3.2.12; NEEDS-ACTION when absent)."""

    email: str
    partstat: str
    name: str
    delegated_to: tuple[str, ...]


@dataclass(frozen=True)
class CalendarAnswer:
    """One VEVENT of an iTIP object, with the METHOD of the object it came in."""

    method: str
    uid: str
    sequence: int
    recurrence_id: datetime | None
    organizer: str | None
    attendees: tuple[AttendeeAnswer, ...]
    start: datetime | None
    end: datetime | None
    summary: str
    comment: str
    location: str
    all_day: bool = False

    def attendee(self, email: str) -> AttendeeAnswer | None:
        """The ATTENDEE line for this address (case-insensitive), if the object has one."""
        wanted = email.strip().lower()
        return next((person for person in self.attendees if person.email == wanted), None)


@dataclass(frozen=True)
class CalendarReading:
    """Everything read from one mail or file: the answers, and why anything was skipped."""

    answers: tuple[CalendarAnswer, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class _CalendarPart:
    data: bytes
    charset: str | None
    mime_method: str


def carries_calendar(message: Message) -> bool:
    """Whether any part of the mail looks like a calendar object (by type or file name);
    cheap, reads no part."""
    try:
        return any(_is_calendar(part) for part in _leaf_parts(message)[:MAX_PARTS])
    except Exception:  # noqa: BLE001 - a MIME tree too broken to walk carries nothing we can read
        return False


def find_calendar_parts(message: Message) -> list[bytes]:
    """The decoded bytes of every calendar object in the mail, in order,
    identical objects only once."""
    return [part.data for part in _calendar_parts(message)]


def read_calendar_answers(message: Message, *,
                          default_tz: tzinfo = timezone.utc) -> list[CalendarAnswer]:
    """Every VEVENT of every calendar object in the mail;
    never raises, unreadable objects are skipped."""
    return list(read_calendar(message, default_tz=default_tz).answers)


def read_calendar(message: Message, *, default_tz: tzinfo = timezone.utc) -> CalendarReading:
    """Like ``read_calendar_answers``, and also says what was skipped and why (for the log)."""
    answers: list[CalendarAnswer] = []
    problems: list[str] = []
    try:
        parts = _calendar_parts(message)
    except Exception as error:
        # a MIME tree too broken to walk is a fact about the mail, not a crash
        return CalendarReading((), (f"mail structure unreadable: {error!r}",))
    for part in parts:
        reading = _read_part(part, default_tz)
        answers.extend(reading.answers)
        problems.extend(reading.problems)
    return CalendarReading(tuple(answers), tuple(problems))


def _read_part(part: _CalendarPart, default_tz: tzinfo) -> CalendarReading:
    try:
        return _read_text(_decode(part.data, part.charset), part.mime_method, default_tz)
    except Exception as error:  # noqa: BLE001
        # last guard: one calendar part must never stop the mail
        return CalendarReading((), (f"calendar part unreadable: {error!r}",))


def read_ics(data: bytes, *, default_tz: tzinfo = timezone.utc) -> list[CalendarAnswer]:
    """Every VEVENT of a bare iCalendar file, which may hold several VCALENDARs; never raises."""
    return list(read_ics_reading(data, default_tz=default_tz).answers)


def read_ics_reading(data: bytes, *, default_tz: tzinfo = timezone.utc) -> CalendarReading:
    """Like ``read_ics``, and also says what was skipped and why."""
    return _read_text(_decode(data, None), "", default_tz)


def _calendar_parts(message: Message) -> list[_CalendarPart]:
    found: list[_CalendarPart] = []
    seen: set[bytes] = set()
    for part in _leaf_parts(message)[:MAX_PARTS]:
        if not _is_calendar(part):
            continue
        data = _payload(part)
        key = b"\n".join(line.strip() for line in data.strip().splitlines())
        if b"BEGIN:VCALENDAR" not in data.upper() or key in seen:
            continue
        seen.add(key)
        found.append(_CalendarPart(data, part.get_content_charset(), _mime_method(part)))
    return found


def _leaf_parts(part: Message) -> list[Message]:
    """Non-multipart parts in order, not descending into attached messages (forwards, bounces)."""
    if part.get_content_maintype() == "message":
        return []
    if not part.is_multipart():
        return [part]
    leaves: list[Message] = []
    for child in part.get_payload():
        if isinstance(child, Message):
            leaves.extend(_leaf_parts(child))
    return leaves


def _is_calendar(part: Message) -> bool:
    if part.get_content_type() in CALENDAR_TYPES:
        return True
    filename = (part.get_filename() or part.get_param("name") or "")
    return isinstance(filename, str) and filename.strip().lower().endswith(CALENDAR_SUFFIXES)


def _payload(part: Message) -> bytes:
    """The part's bytes with its transfer encoding undone;
    broken base64/QP is decoded as far as it goes."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken encoding must not hide the rest of the mail
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _mime_method(part: Message) -> str:
    method = part.get_param("method")
    return method.strip().upper() if isinstance(method, str) else ""


def _decode(data: bytes, charset: str | None) -> str:
    """Text of a calendar object: UTF-8 when it is valid (labels often lie), else the label,
    else Windows-1252."""
    for candidate in ("utf-8", charset, "cp1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def _read_text(text: str, mime_method: str, default_tz: tzinfo) -> CalendarReading:
    if len(text) > MAX_CALENDAR_CHARS:
        return CalendarReading((), (f"calendar object of {len(text):,} characters not read "
                                    f"(the most is {MAX_CALENDAR_CHARS:,})",))
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # old Exchange ends lines with a bare CR
    answers: list[CalendarAnswer] = []
    problems: list[str] = []
    for calendar, problem in _parse_calendars(text):
        if problem:
            problems.append(problem)
            continue
        method = str(calendar.get("METHOD") or mime_method or "").strip().upper()
        for event in calendar.walk("VEVENT"):
            answer, problem = _answer_or_problem(event, method, default_tz)
            if answer is not None:
                answers.append(answer)
            if problem:
                problems.append(problem)
    return CalendarReading(tuple(answers), tuple(problems))


def _parse_calendars(text: str) -> list[tuple[Calendar | None, str]]:
    """Parse all VCALENDARs at once; if that fails,
    each one on its own so one broken object spares the rest."""
    try:
        calendars = Calendar.from_ical(text, multiple=True)
        return [(calendar, "") for calendar in calendars] or [(None, "no VCALENDAR found")]
    except Exception as error:  # noqa: BLE001 - icalendar raises several types on broken input
        _log.debug("calendar unreadable as a whole: %r", error)
    results: list[tuple[Calendar | None, str]] = []
    for chunk in _split_calendars(text):
        try:
            results.extend((calendar, "") for calendar in Calendar.from_ical(chunk, multiple=True))
        except Exception as error:  # noqa: BLE001
            results.append((None, f"VCALENDAR unreadable: {error}"))
    return results or [(None, "no VCALENDAR found")]


def _split_calendars(text: str) -> list[str]:
    starts = [match.start() for match in _BEGIN.finditer(text)]
    return [text[begin:end] for begin, end in zip(starts, starts[1:] + [len(text)])]


def _answer_or_problem(event: Event, method: str,
                       default_tz: tzinfo) -> tuple[CalendarAnswer | None, str]:
    try:
        return _answer(event, method, default_tz)
    except Exception as error:  # noqa: BLE001 - one odd VEVENT must not hide the others
        return None, f"VEVENT unreadable: {error!r}"


def _answer(event: Event, method: str, default_tz: tzinfo) -> tuple[CalendarAnswer | None, str]:
    uid = _text(event.get("UID"))
    if not uid:
        return None, f"{method or 'calendar'} VEVENT without UID skipped"
    start, all_day = _moment(event.get("DTSTART"), default_tz)
    return CalendarAnswer(
        method=method,
        uid=uid,
        sequence=_sequence(event.get("SEQUENCE")),
        recurrence_id=_moment(event.get("RECURRENCE-ID"), default_tz)[0],
        organizer=_address(event.get("ORGANIZER")) or None,
        attendees=tuple(_attendee(value) for value in _as_list(event.get("ATTENDEE"))),
        start=start,
        end=_end(event, start, default_tz),
        summary=_text(event.get("SUMMARY")),
        comment="\n".join(_text(value) for value in _as_list(event.get("COMMENT")) if _text(value)),
        location=_text(event.get("LOCATION")),
        all_day=all_day,
    ), ""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _sequence(value) -> int:
    """SEQUENCE as a sane int: 0 when missing or not a number,
    clamped to the 32-bit range RFC 5545 allows."""
    try:
        number = int(str(value).strip()) if value is not None else 0
    except ValueError:
        return 0
    return max(0, min(number, MAX_SEQUENCE))


def _address(value) -> str:
    """A calendar address as a lowercase mail address:
    EMAIL= wins (iCloud proxies), ``mailto:`` in any case dropped."""
    if value is None:
        return ""
    params = getattr(value, "params", {}) or {}
    email = params.get("EMAIL") or str(value)
    return _MAILTO.sub("", str(email)).strip().strip("<>").strip().lower()


def _attendee(value) -> AttendeeAnswer:
    params = getattr(value, "params", {}) or {}
    return AttendeeAnswer(
        email=_address(value),
        partstat=str(params.get("PARTSTAT") or "NEEDS-ACTION").strip().upper(),
        # Exchange writes CN="'a@b.c'"
        name=str(params.get("CN") or "").strip().strip("\"'").strip(),
        delegated_to=_delegated(params.get("DELEGATED-TO")),
    )


def _delegated(value) -> tuple[str, ...]:
    if not value:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    addresses = (_MAILTO.sub("", str(item).strip('" ')).strip().lower() for item in items)
    return tuple(address for address in addresses if address)


def _end(event: Event, start: datetime | None, default_tz: tzinfo) -> datetime | None:
    end, _ = _moment(event.get("DTEND"), default_tz)
    duration = _value(event.get("DURATION"))
    if end is None and start is not None and isinstance(duration, timedelta):
        return start + duration
    return end


def _moment(value, default_tz: tzinfo) -> tuple[datetime | None, bool]:
    """A DTSTART/DTEND/RECURRENCE-ID as aware UTC, and whether it was an all-day date;
    unreadable -> None."""
    moment = _value(value)
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            tzid = (getattr(value, "params", {}) or {}).get("TZID")
            zone = zone_for(str(tzid)) if tzid else None
            moment = moment.replace(tzinfo=zone or default_tz)
        return moment.astimezone(timezone.utc), False
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc), True
    return None, False


def _value(prop):
    """The typed value of a date/time property,
    or None when the text is broken (``199706211T173000Z``)."""
    try:
        return getattr(prop, "dt", None)
    except Exception:  # noqa: BLE001 - icalendar raises on access to a broken property
        return None
