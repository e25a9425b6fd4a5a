"""What strict calendar clients require of an invitation (RFC 5546 §3.2.2 REQUEST, §3.2.5 CANCEL):
every REQUEST and CANCEL we build passes libical's restriction check and is read back by vobject
with RSVP=TRUE and PARTSTAT=NEEDS-ACTION on each attendee, ORGANIZER, DTSTAMP, SEQUENCE and the
VTIMEZONE of its TZID, in zones of every shape (summer time north and south, none, half hours,
the RDATE form)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from mailflow.outgoing.calendar import build_cancel, build_request

from ..support.libical import libical_errors
from ..support.vcal import read_calendar
from .test_invitations import invitation

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe",
         "Africa/Casablanca"]
BUILDERS = {"REQUEST": build_request, "CANCEL": build_cancel}


def in_zone(tzid: str, **changes):
    zone = ZoneInfo(tzid)
    start = datetime(2026, 7, 14, 17, 0, tzinfo=zone)
    return invitation(tzid=tzid, start=start, end=start.replace(hour=18), **changes)


def test_libical_names_what_a_strict_client_would_refuse():
    """The check can fail: a REQUEST without ORGANIZER and DTSTAMP is refused with both named."""
    text = build_request(invitation()).decode("utf-8").replace("\r\n ", "")
    broken = re.sub(r"(ORGANIZER|DTSTAMP)[^\r\n]*\r\n", "", text)
    errors = libical_errors(broken)
    assert any("ORGANIZER" in error for error in errors), errors
    assert any("DTSTAMP" in error for error in errors), errors


@pytest.mark.parametrize("method", BUILDERS)
@pytest.mark.parametrize("tzid", ZONES)
def test_every_request_and_cancel_passes_libicals_restriction_check(tzid, method):
    ics = BUILDERS[method](in_zone(tzid, sequence=2))
    assert libical_errors(ics) == []
    calendar = read_calendar(ics)
    assert calendar.method.value == method
    event = calendar.vevent
    assert event.organizer.value == "mailto:meetings+t0k3n@mentoring.example.org"
    assert event.dtstamp.value == datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    assert int(event.sequence.value) == 2
    attendees = {a.value: a.params for a in event.attendee_list}
    assert set(attendees) == {"mailto:mia.mentee@example.org", "mailto:max.mentor@example.com"}
    for params in attendees.values():
        assert params["RSVP"] == ["TRUE"] and params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert calendar.vtimezone.tzid.value == tzid
    assert f"\r\nDTSTART;TZID={tzid}:20260714T170000\r\n".encode() in ics
    assert event.dtstart.value.astimezone(timezone.utc) == in_zone(tzid).start
