"""libical's verdict on one iCalendar object, as a reader independent of ours: run by Debian's own
/usr/bin/python3 (PyGObject and gir1.2-ical-3.0 live there, not in the project's Python), it reads
the object from stdin, runs libical's RFC 5546 restriction check for the object's METHOD, and
prints every error libical found (parse errors and failed restrictions, its X-LIC-ERROR
properties), one a line. Exit status 0: no error; 1: errors printed; 2: not an iCalendar object.

Only the standard library and gi: this file must not import the project."""
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402  # isort: skip


def errors_of(component, path=""):
    """Every X-LIC-ERROR in component and its subcomponents, named by where it is."""
    here = f"{path}/{ICalGLib.Component.kind_to_string(component.isa())}"
    found = []
    prop = component.get_first_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        found.append(f"{here}: {prop.get_xlicerror()}")
        prop = component.get_next_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    child = component.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child is not None:
        found.extend(errors_of(child, here))
        child = component.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    return found


def main() -> int:
    try:
        calendar = ICalGLib.Component.new_from_string(sys.stdin.read())
    except TypeError:  # libical returned NULL: nothing it could read
        calendar = None
    if calendar is None or calendar.isa() != ICalGLib.ComponentKind.VCALENDAR_COMPONENT:
        print("not an iCalendar object")
        return 2
    ICalGLib.restriction_check(calendar)
    found = errors_of(calendar)
    print("\n".join(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
