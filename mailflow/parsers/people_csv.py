"""Reading a coordinator's participant list (CSV, UTF-8, header row
email,name,role,language,timezone,topics,capacity) into rows to import and, for every bad row,
its number, field and reason."""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address
from zoneinfo import ZoneInfo

COLUMNS = ("email", "name", "role", "language", "timezone", "topics", "capacity")
REQUIRED = ("email", "name", "role")
ROLES = {"mentee": "mentee", "mentor": "mentor", "mentorin": "mentor", "mentor*in": "mentor"}


@dataclass(frozen=True)
class PersonRow:
    line: int
    email: str
    name: str
    role: str
    language: str | None
    timezone: str | None
    topics: tuple[str, ...]
    capacity: int | None


@dataclass(frozen=True)
class RowError:
    line: int    # the line number in the file (the header is line 1)
    field: str
    reason: str


@dataclass(frozen=True)
class PeopleFile:
    rows: tuple[PersonRow, ...]
    errors: tuple[RowError, ...]


def read_people_csv(data: bytes | str) -> PeopleFile:
    """Good rows and bad ones; a file we cannot read at all is one error on line 1."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), dialect=_dialect(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        error = RowError(1, ",".join(missing), "missing column(s) in the header row")
        return PeopleFile((), (error,))
    reader.fieldnames = header
    rows, errors, seen = [], [], set()
    for record in reader:
        line = reader.line_num
        problems = _row_problems(record, seen)
        if problems:
            errors.extend(RowError(line, f, r) for f, r in problems)
            continue
        rows.append(_row(line, record))
        seen.add(rows[-1].email)
    return PeopleFile(tuple(rows), tuple(errors))


def _dialect(text: str):
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _value(record: dict, column: str) -> str:
    return (record.get(column) or "").strip()


def _row_problems(record: dict, seen: set[str]) -> list[tuple[str, str]]:
    problems = _control_problems(record)
    email = _value(record, "email").lower()
    if not _is_address(email):
        problems.append(("email", f"not an email address: {email!r}" if email else "missing"))
    elif email in seen:
        problems.append(("email", "appears twice in this file"))
    if not _value(record, "name"):
        problems.append(("name", "missing"))
    role = ROLES.get(_value(record, "role").lower())
    if role is None:
        problems.append(("role", f"must be mentee or mentor, not {_value(record, 'role')!r}"))
    if _value(record, "language").lower() not in ("", "de", "en"):
        problems.append(("language", f"must be de or en, not {_value(record, 'language')!r}"))
    problems += _timezone_problem(_value(record, "timezone")) + _capacity_problem(record)
    return problems


def _control_problems(record: dict) -> list[tuple[str, str]]:
    """A line break (or any control character) inside a field: a name like that would break every
    mail header it goes into, so the row is refused rather than imported."""
    return [(column, "contains a line break or another control character")
            for column in COLUMNS
            if any(unicodedata.category(c) == "Cc" for c in _value(record, column))]


def _timezone_problem(zone: str) -> list[tuple[str, str]]:
    if not zone:
        return []
    try:
        ZoneInfo(zone)
    except Exception:  # noqa: BLE001 - any failure means "not a zone we know"
        return [("timezone", f"unknown time zone {zone!r} (use e.g. Europe/Berlin)")]
    return []


def _capacity_problem(record: dict) -> list[tuple[str, str]]:
    raw = _value(record, "capacity")
    if not raw:
        return []
    if not raw.isdigit() or not 0 <= int(raw) <= 20:
        return [("capacity", f"must be a whole number from 0 to 20, not {raw!r}")]
    return []


def _is_address(text: str) -> bool:
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError):
        return False
    return bool(address.username) and "." in address.domain


def _row(line: int, record: dict) -> PersonRow:
    capacity = _value(record, "capacity")
    topics = tuple(t.strip() for t in _value(record, "topics").split(";") if t.strip())
    return PersonRow(
        line=line, email=_value(record, "email").lower(), name=_value(record, "name"),
        role=ROLES[_value(record, "role").lower()],
        language=_value(record, "language").lower() or None,
        timezone=_value(record, "timezone") or None, topics=topics,
        capacity=int(capacity) if capacity else None,
    )
