"""Whom a calendar service's mail speaks for.

Some calendar services send their users' invitations and answers from an address of their own,
so the From line names the service, not the person. The iTIP objects inside still name the
person; this module reads them to say who that is, for the caller to decide whether to trust it.
"""
from __future__ import annotations

from email.message import Message

from .calendar_reply import read_calendar

# Calendar services that send their users' invitations and answers from an address of their own
# (iCloud: From noreply@insideicloud.icloud.com, the ORGANIZER a proxy whose EMAIL= parameter holds
# the person's address).
CALENDAR_RELAY_DOMAINS = frozenset({"insideicloud.icloud.com", "email.apple.com"})


def relayed_for(sender: str | None, message: Message) -> str | None:
    """The person a calendar service's mail speaks for: the one ORGANIZER of an invitation or the
    one ATTENDEE of an answer. None when sender is no such service or the objects do not name
    exactly one person."""
    if not sender or sender.rpartition("@")[2] not in CALENDAR_RELAY_DOMAINS:
        return None
    speakers: set[str] = set()
    for answer in read_calendar(message).answers:
        if answer.method in ("REPLY", "COUNTER", "REFRESH"):
            speakers.update(attendee.email for attendee in answer.attendees)
        elif answer.organizer:
            speakers.add(answer.organizer)
    return speakers.pop() if len(speakers) == 1 else None
