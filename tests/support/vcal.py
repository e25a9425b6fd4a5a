"""Reading our calendar objects back with vobject, the independent parser of the tests.

vobject keeps one process-wide map from TZID to time zone and never replaces an entry: the first VTIMEZONE it
saw for "Europe/Berlin" (ours cover only the years around one meeting) would then be used for every later
calendar. Each read here forgets those zones first, so every object is read with its own VTIMEZONE."""
from __future__ import annotations

import vobject
import vobject.icalendar


def read_calendar(text: str | bytes):
    zones = getattr(vobject.icalendar, "__tzidMap")
    for tzid in [tzid for tzid in zones if tzid != "UTC"]:
        del zones[tzid]
    return vobject.readOne(text.decode("utf-8") if isinstance(text, bytes) else text)
