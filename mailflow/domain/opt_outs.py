"""Bulk mail a person may opt out of, and their stored wish. Two kinds: a participant's reminders
(the scheduled reminders of an unanswered request or agreement, the inactivity check-in and the
relationship pulse) and a coordinator's digest. Everything else goes out whatever the wish:
answers to what a person sent, and the mails the mentorship needs (requests, agreement forms and
approvals, invitations, feedback forms, the questions and reminder of closing, certificates,
requests to amend the agreement, a coordinator's own REMIND, the coordinators' overdue list).

Each such mail carries List-Unsubscribe (RFC 2369) with a signed mailto: address bound to the
person and the kind; a mail to it from the person's own address is the whole opt-out."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..store.models import OptOut, Person
from ..tokens import Token, coordinator_number

REMINDERS, DIGEST = "reminders", "digest"
# a token's object field names the kind; numbers are in addresses already sent: never reuse one
KIND_NUMBERS = {REMINDERS: 1, DIGEST: 2}
KINDS = {number: kind for kind, number in KIND_NUMBERS.items()}


def participant_opt_out(person: Person) -> Token:
    """The List-Unsubscribe address of person's reminders and check-ins."""
    return Token("reply", "optout", KIND_NUMBERS[REMINDERS], person.id)


def coordinator_opt_out(address: str) -> Token:
    """The List-Unsubscribe address of the digest sent to the coordinator at address."""
    return Token("reply", "coordout", KIND_NUMBERS[DIGEST], coordinator_number(address))


def opted_out(session: Session, kind: str, addresses: list[str]) -> set[str]:
    """Which of addresses (lower case) asked for no more mail of kind: one query for a batch."""
    wanted = {address.lower() for address in addresses}
    if not wanted:
        return set()
    return set(session.scalars(select(OptOut.address).where(OptOut.kind == kind,
                                                            OptOut.address.in_(wanted))))


def opt_out(session: Session, address: str, kind: str, now: datetime) -> bool:
    """Store the wish; False when it was stored before (a second click changes nothing)."""
    try:
        with session.begin_nested():
            session.add(OptOut(address=address.lower(), kind=kind, created_at=now))
    except IntegrityError:
        return False
    return True


def opt_in(session: Session, address: str, kinds: tuple[str, ...]) -> list[str]:
    """Remove the wishes of address for kinds; the kinds it had opted out of."""
    found = sorted(opted_out_kinds(session, address) & set(kinds))
    session.execute(delete(OptOut).where(OptOut.address == address.lower(),
                                         OptOut.kind.in_(found)))
    return found


def opted_out_kinds(session: Session, address: str) -> set[str]:
    return set(session.scalars(select(OptOut.kind).where(OptOut.address == address.lower())))
