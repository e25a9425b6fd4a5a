"""Meeting invitations as iMIP objects (RFC 5546 iTIP carried by mail, RFC 6047), built with
``icalendar``.

Calendar clients (Google Calendar, Outlook, Apple Calendar, Thunderbird) show accept buttons only
for a proper iTIP REQUEST: ``METHOD:REQUEST`` inside the object *and* ``method=REQUEST`` on the MIME
part (Outlook rejects a mismatch), a stable UID with a SEQUENCE that grows with every change, an
ORGANIZER that is not the recipient, the recipient as ATTENDEE with ``RSVP=TRUE`` and
``PARTSTAT=NEEDS-ACTION``, and a VTIMEZONE for every TZID used.

Every factory takes uid, stamp and sequence from the caller, so the same meeting always yields the
same bytes (golden tests, and clients that compare updates). The caller keeps the sequence: a move
or a cancellation is sent with ``sequence + 1`` (RFC 5546 §2.1.4).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import default as default_policy
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, vCalAddress, vRecur

from .timezones import vtimezone

PRODID = "-//mailflow//mailflow meetings//EN"
_METHOD_LINE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)
ITIP_METHODS = frozenset({"PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER",
                          "DECLINECOUNTER"})


@dataclass(frozen=True)
class Attendee:
    """One person invited to a meeting (RFC 5545 §3.8.4.1 ATTENDEE with its parameters)."""

    email: str
    name: str
    partstat: str = "NEEDS-ACTION"
    rsvp: bool = True
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True)
class Invitation:
    """What we invite to: one meeting, in the time zone it is held in.

    ``start``/``end`` may carry any zone; they are written in ``tzid`` (an IANA name such as
    ``Europe/Berlin``), so the attendee's client shows the intended wall-clock time. ``stamp`` is
    when this version was made (UTC).
    """

    uid: str
    sequence: int
    stamp: datetime
    start: datetime
    end: datetime
    tzid: str
    summary: str
    description: str
    location: str | None
    url: str | None
    organizer_email: str
    organizer_name: str
    attendees: tuple[Attendee, ...]
    # a recurring series (RFC 5545 §3.8.5.3; UNTIL in UTC) and the end of its last occurrence
    rrule: str | None = None
    last_end: datetime | None = None
    # one occurrence of a series (RFC 5545 §3.8.4.4): its original start
    recurrence_id: datetime | None = None
    status: str = "CONFIRMED"  # TENTATIVE: one of several slots offered (RFC 5545 §3.8.1.11)

    def __post_init__(self) -> None:
        _require_aware(self.stamp, "stamp")
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("an invitation must end after it starts")
        if self.sequence < 0:
            raise ValueError("SEQUENCE cannot be negative")
        if not self.uid.strip():
            raise ValueError("an invitation needs a UID")
        _zone(self.tzid)


def build_request(inv: Invitation) -> bytes:
    """The iTIP REQUEST (RFC 5546 §3.2.2) that invites, or updates an invitation (same UID, higher
    SEQUENCE)."""
    return _calendar("REQUEST", _meeting_event(inv, status=inv.status), inv).to_ical()


def build_cancel(inv: Invitation) -> bytes:
    """The iTIP CANCEL (RFC 5546 §3.2.5) for a meeting; the caller passes the invitation with
    ``sequence + 1``."""
    return _calendar("CANCEL", _meeting_event(inv, status="CANCELLED"), inv).to_ical()


def build_decline_counter(inv: Invitation, attendee_email: str, comment: str) -> bytes:
    """The iTIP DECLINECOUNTER (RFC 5546 §3.2.8): the organizer refuses an attendee's COUNTER
    proposal.

    It names the meeting (UID, SEQUENCE unchanged) and only the attendee who proposed; the meeting
    itself stays as last sent, so no time and no VTIMEZONE are included.
    """
    event = Event.new(
        uid=inv.uid,
        stamp=inv.stamp.astimezone(timezone.utc),
        sequence=inv.sequence,
        organizer=_organizer(inv),
        attendees=[_address(_attendee_for(inv, attendee_email))],
        comments=[comment] if comment else None,
    )
    return _calendar("DECLINECOUNTER", event, None).to_ical()


def imip_mime_part(ics: bytes, method: str) -> EmailMessage:
    """The ``text/calendar; charset=UTF-8; method=...`` MIME part that carries an iTIP object in a
    mail.

    The bytes travel base64-encoded, exactly as built (CRLF line ends, UTF-8), as Exchange and
    Outlook.com send them. No Content-Disposition and no Content-ID: Thunderbird and Outlook then
    treat it as the invitation itself, not as a file. Put it last in a ``multipart/alternative``
    after the text and HTML parts.
    """
    method = method.strip().upper()
    if method not in ITIP_METHODS:
        raise ValueError(f"not an iTIP method: {method!r}")
    inner = _METHOD_LINE.search(ics)
    if inner is None or inner.group(1).decode("ascii").upper() != method:
        raise ValueError(f"MIME method={method} must match the METHOD inside the calendar "
                         f"(Outlook rejects it)")
    part = EmailMessage(policy=default_policy)
    part.set_content(ics, maintype="text", subtype="calendar", cte="base64")
    del part["MIME-Version"]  # belongs to the whole mail, which the composer builds
    del part["Content-Type"]
    # set_raw keeps the value as written: method=REQUEST unquoted, the way Google, Outlook and Apple
    # send it
    part.set_raw("Content-Type", f"text/calendar; charset=UTF-8; method={method}")
    return part


def _calendar(method: str, event: Event, inv: Invitation | None) -> Calendar:
    """Wrap one event in a VCALENDAR with METHOD and, for timed events, the VTIMEZONE they need."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    if inv is not None and "TZID" in event["DTSTART"].params:
        zone = _zone(inv.tzid)
        # first, as Outlook, Google and Apple put it; in the yearly-RRULE form Outlook understands
        moments = [moment.astimezone(zone)
                   for moment in (inv.start, inv.end, inv.recurrence_id, inv.last_end) if moment]
        calendar.subcomponents.insert(0, vtimezone(inv.tzid, moments))
    return calendar


def _meeting_event(inv: Invitation, *, status: str) -> Event:
    """The VEVENT shared by REQUEST and CANCEL: times in the meeting's zone, organizer and all
    attendees."""
    zone = _zone(inv.tzid)
    event = Event.new(
        uid=inv.uid,
        stamp=inv.stamp.astimezone(timezone.utc),
        sequence=inv.sequence,
        start=inv.start.astimezone(zone),
        end=inv.end.astimezone(zone),
        summary=inv.summary,
        description=inv.description or None,
        location=inv.location or inv.url or None,
        url=inv.url or None,
        organizer=_organizer(inv),
        attendees=[_address(attendee) for attendee in inv.attendees],
        status=status,
        transparency="OPAQUE",
    )
    if inv.rrule:
        event.add("rrule", vRecur.from_ical(inv.rrule))
    if inv.recurrence_id is not None:
        event.add("recurrence-id", inv.recurrence_id.astimezone(zone))
    return event


def _organizer(inv: Invitation) -> vCalAddress:
    return vCalAddress.new(_mailto(inv.organizer_email), cn=_display_name(inv.organizer_name))


def _address(attendee: Attendee) -> vCalAddress:
    return vCalAddress.new(
        _mailto(attendee.email),
        cn=_display_name(attendee.name),
        cutype="INDIVIDUAL",
        role=attendee.role,
        partstat=attendee.partstat,
        rsvp=attendee.rsvp,
    )


def _attendee_for(inv: Invitation, email: str) -> Attendee:
    """The invited attendee with this address, or a bare one when the counter came from someone
    unlisted."""
    wanted = email.strip().lower()
    for attendee in inv.attendees:
        if attendee.email.strip().lower() == wanted:
            return attendee
    return Attendee(email=email.strip(), name="")


def _display_name(name: str) -> str | None:
    """CN as every client shows it: RFC 6868 ``^'`` escapes for quotes appear literally in older
    Outlook."""
    cleaned = " ".join(name.replace('"', "'").split())
    return cleaned or None


def _mailto(email: str) -> str:
    return "mailto:" + email.strip()


def _zone(tzid: str) -> ZoneInfo:
    try:
        return ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {tzid!r}") from error


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
