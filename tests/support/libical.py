"""libical as the second independent reader of our calendar objects: tests/support/libical_check.py
runs under Debian's /usr/bin/python3 (where PyGObject and gir1.2-ical-3.0 are), so the project's
Python needs no GObject. Missing there: skipped locally, a failure in CI."""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from .real_parts import missing

SYSTEM_PYTHON = Path("/usr/bin/python3")
CHECK = Path(__file__).with_name("libical_check.py")
_PROBE = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"


@functools.lru_cache(maxsize=1)
def libical_missing_reason() -> str | None:
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} is absent (apt-get install python3-gi gir1.2-ical-3.0)"
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", _PROBE], capture_output=True, timeout=30)
    if probe.returncode != 0:
        return "libical through PyGObject is absent (apt-get install python3-gi gir1.2-ical-3.0)"
    return None


def libical_errors(ics: bytes | str) -> list[str]:
    """What libical finds wrong with ics: its parse errors and the RFC 5546 restrictions of the
    object's METHOD that fail (an empty list: libical has nothing to say against it)."""
    reason = libical_missing_reason()
    if reason:
        missing(reason)
    data = ics.encode("utf-8") if isinstance(ics, str) else ics
    done = subprocess.run([str(SYSTEM_PYTHON), str(CHECK)], input=data, capture_output=True,
                          timeout=30)
    output = done.stdout.decode("utf-8", "replace")
    assert done.returncode in (0, 1), f"libical could not read it: {output}{done.stderr!r}"
    return [line for line in output.splitlines() if line]
