"""What waits on someone and the mails that recall it: a reminder of an unanswered request or
agreement, and a check-in for a mentorship that went quiet. The scheduled reminders and a
coordinator's REMIND both send them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from ..config import Settings
from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import AgreementVersion, Meeting, Mentorship, Person
from ..store.states import MAY_GO_QUIET, PLANNED
from ..tokens import Token, TokenSigner
from .mentorships import other_side, role_in
from .opt_outs import participant_opt_out
from .sending import Send

# What the check-in's one-click answer says. Not a command: checkin_received passes whatever the
# answer says on to the coordinators.
ALL_GOOD = {"de": "Alles gut", "en": "All good"}


@dataclass(frozen=True)
class Waiting:
    """One thing that waits on someone, as the reminder and the coordinators' mail show it."""

    kind: str  # request | approval
    object_id: int
    mentorship_id: int
    waiting_on: Person
    other: Person
    since: datetime
    version: AgreementVersion | None = None


def request_waiting(mentorship: Mentorship) -> Waiting:
    """What an open request waits for: the mentor's answer."""
    return Waiting("request", mentorship.id, mentorship.id, mentorship.mentor, mentorship.mentee,
                   mentorship.requested_at)


def approval_waiting(version: AgreementVersion, mentorship: Mentorship) -> Waiting:
    """What a proposed agreement version waits for: the other side's approval."""
    mentee_proposed = version.proposed_by_id == mentorship.mentee_id
    approver, proposer = ((mentorship.mentor, mentorship.mentee) if mentee_proposed
                          else (mentorship.mentee, mentorship.mentor))
    return Waiting("approval", version.id, mentorship.id, approver, proposer, version.proposed_at,
                   version)


def send_reminder(signer: TokenSigner, send: Send, item: Waiting, stage: str) -> None:
    """Recall to the person it waits on what waits (yes / no links on a token only they can use)."""
    person = item.waiting_on
    if item.kind == "request":
        token = Token("reply", "request", item.object_id, person.id)
        yes, no = (command_word(k, person.language) for k in (Keyword.ACCEPT, Keyword.DECLINE))
    else:
        token = Token("reply", "approve", item.object_id, person.id)
        yes, no = (command_word(k, person.language) for k in (Keyword.APPROVE, Keyword.CHANGES))
    values = dict(stage=stage, kind=item.kind, other=item.other.name, since=item.since,
                  yes=signer.mailto(token, yes), no=signer.mailto(token, no, f"{no} "),
                  version=item.version.version if item.version else None)
    send(OutgoingMail(template="reminder", to=person.email, to_name=person.name,
                      language=person.language, values=values, reply_token=token,
                      unsubscribe=participant_opt_out(person)))


def quiet_mentorships(now: datetime, days: int):
    """Running mentorships with no mail and no meeting for days (a meeting planned after that
    counts)."""
    since = now - timedelta(days=days)
    last = func.coalesce(Mentorship.last_activity_at, Mentorship.answered_at,
                         Mentorship.requested_at)
    planned = exists().where(Meeting.mentorship_id == Mentorship.id, Meeting.state.in_(PLANNED),
                             Meeting.starts_at > since)
    quiet = select(Mentorship).where(Mentorship.state.in_(MAY_GO_QUIET), last <= since, ~planned)
    return quiet, since


def send_checkin(settings: Settings, signer: TokenSigner, send: Send, mentorship: Mentorship,
                 person: Person) -> None:
    """Ask person how the mentorship goes (one click for 'all good', or a reply in their own
    words)."""
    token = Token("reply", "checkin", mentorship.id, person.id)
    last = mentorship.last_activity_at or mentorship.answered_at or mentorship.requested_at
    topics = command_word(Keyword.TOPICS, person.language)
    values = dict(other=other_side(mentorship, person).name, since=last,
                  days=settings.inactivity_days, role=role_in(mentorship, person),
                  good=signer.mailto(token, ALL_GOOD.get(person.language, ALL_GOOD["en"])),
                  topics=f"mailto:{settings.hello_address}?subject={topics}")
    send(OutgoingMail(template="checkin", to=person.email, to_name=person.name,
                      language=person.language, values=values, reply_token=token,
                      unsubscribe=participant_opt_out(person)))
