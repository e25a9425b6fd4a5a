"""Time zones for calendar times whose TZID comes without a VTIMEZONE.

Calendar clients name zones by IANA names, by Windows names (``W. Europe Standard Time``) or by
Exchange labels (``(GMT+01.00) Sarajevo/Warsaw/Zagreb``), and often leave out the VTIMEZONE that
would define them. Reading an iTIP answer needs a real zone for each, so this module turns such a
name into a ``tzinfo``, or None when it cannot.
"""
from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?:[.:]?(\d{2}))?", re.IGNORECASE)


def zone_for(tzid: str) -> tzinfo | None:
    """A TZID without VTIMEZONE: an IANA name, a Windows name,
    an Exchange ``(GMT+01.00) City/City`` label."""
    name = tzid.strip().strip('"').strip()
    for candidate in (name, WINDOWS_TO_OLSON.get(name), _zone_named_in_label(name)):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return _fixed_offset(name)


def _zone_named_in_label(label: str) -> str | None:
    """``(GMT+01.00) Sarajevo/Warsaw/Zagreb`` names cities;
    the first one tzdata knows gives the zone with DST."""
    words = re.split(r"[/,;]", re.sub(r"\(.*?\)", "", label))
    by_city = _zones_by_city()
    keys = (word.strip().replace(" ", "_").lower() for word in words)
    return next((by_city[key] for key in keys if key in by_city), None)


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    zones = sorted(available_timezones())
    return {zone.rsplit("/", 1)[-1].lower(): zone for zone in zones if "/" in zone}


def _fixed_offset(label: str) -> tzinfo | None:
    match = _GMT_OFFSET.search(label)
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if sign == "-" else offset) if offset < timedelta(hours=24) else None
