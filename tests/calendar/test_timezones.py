"""Scenarios: the VTIMEZONE of our invitations gives the intended time in every zone, in the yearly-RRULE form
that Outlook reads (it ignores RDATE and would show summer meetings an hour off). Read back by vobject."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mailflow.outgoing.calendar import build_request

from ..support.vcal import read_calendar
from .test_invitations import invitation

UTC = timezone.utc
# zone, local start, and what the VTIMEZONE must look like: yearly rules, one fixed offset, or (for a rule no
# BYDAY can say) icalendar's RDATE list
CASES = [
    ("Europe/Berlin", datetime(2027, 7, 1, 15, 0), "yearly"),
    ("Europe/Berlin", datetime(2027, 12, 1, 15, 0), "yearly"),
    ("Europe/Berlin", datetime(2027, 3, 28, 3, 30), "yearly"),    # the first hour of summer time
    ("Europe/Berlin", datetime(2027, 10, 31, 4, 0), "yearly"),    # just after the change back
    ("America/New_York", datetime(2027, 3, 20, 9, 0), "yearly"),  # after the second Sunday of March
    ("Australia/Sydney", datetime(2027, 1, 15, 18, 0), "yearly"),  # southern summer
    ("Australia/Sydney", datetime(2027, 7, 15, 18, 0), "yearly"),
    ("Europe/Dublin", datetime(2027, 7, 1, 12, 0), "yearly"),     # tzdata's negative saving
    ("Europe/Dublin", datetime(2027, 1, 5, 12, 0), "yearly"),
    ("Europe/London", datetime(2027, 6, 1, 10, 0), "yearly"),
    ("Australia/Lord_Howe", datetime(2027, 1, 10, 10, 0), "yearly"),  # a half-hour saving
    ("Pacific/Chatham", datetime(2027, 11, 2, 10, 0), "yearly"),      # +13:45
    ("Asia/Kolkata", datetime(2027, 7, 1, 15, 0), "fixed"),
    ("Asia/Dubai", datetime(2027, 7, 1, 15, 0), "fixed"),
    ("America/Sao_Paulo", datetime(2027, 1, 1, 15, 0), "fixed"),
    ("Asia/Jerusalem", datetime(2027, 7, 1, 15, 0), "listed"),  # "M3.4.4/26": the Friday before the last Sunday
    ("America/Nuuk", datetime(2027, 7, 1, 15, 0), "listed"),    # a change at hour -1
    ("Africa/Casablanca", datetime(2027, 2, 20, 15, 0), "listed"),  # Ramadan: off its stated rule
]


@pytest.mark.parametrize("tzid, local, form", CASES, ids=[f"{c[0]}-{c[1]:%m-%d}" for c in CASES])
def test_the_invitation_time_is_right_in_every_zone(tzid: str, local: datetime, form: str) -> None:
    zone = ZoneInfo(tzid)
    start = local.replace(tzinfo=zone)
    ics = build_request(replace(invitation(), tzid=tzid, start=start, end=start + timedelta(hours=1)))
    calendar = read_calendar(ics)
    assert calendar.vevent.dtstart.value.astimezone(UTC) == start.astimezone(UTC)
    assert calendar.vevent.dtend.value.astimezone(UTC) == (start + timedelta(hours=1)).astimezone(UTC)
    [vtimezone] = calendar.vtimezone_list
    text = ics.decode()
    if form == "yearly":
        rules = [line for line in text.splitlines() if line.startswith("RRULE:")]
        assert "RDATE" not in text and len(rules) == 2 and all("FREQ=YEARLY" in r and "BYDAY=" in r for r in rules)
        assert {o.dtstart.value.year for o in vtimezone.getChildren() if hasattr(o, "dtstart")} == {1970}
    elif form == "fixed":
        assert "RDATE" not in text and "RRULE" not in text
        [observance] = [o for o in vtimezone.getChildren() if o.name == "STANDARD"]
        assert observance.tzoffsetfrom.value == observance.tzoffsetto.value
    else:
        assert "RDATE" in text


def test_the_vtimezone_comes_before_the_event() -> None:
    text = build_request(invitation()).decode()
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")
