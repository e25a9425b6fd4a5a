"""A request that waited too long for the mentor's answer is withdrawn: the mentee is told and
offered the next best mentors with a free place (one click each, on a reply address bound to the
mentee), and the mentor is told that nothing waits on them any more."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import Mentorship
from ..store.states import MentorshipState
from ..tokens import Token, TokenSigner
from .matching import next_best_mentors
from .mentorships import move_to
from .sending import Send

OFFERED = 3  # mentors offered after an expiry


def expire_request(session: Session, signer: TokenSigner, send: Send, hello: str,
                   mentorship: Mentorship, now: datetime, days: int) -> None:
    """Withdraw mentorship's open request and tell both sides (see the module's docstring)."""
    move_to(mentorship, MentorshipState.DECLINED, now)
    mentorship.request_closed_as = "expired"
    session.flush()  # the expired pair is never offered again
    mentee, mentor = mentorship.mentee, mentorship.mentor
    token = Token("reply", "mentors", mentorship.id, mentee.id)
    word = command_word(Keyword.REQUEST, mentee.language)
    offers = [dict(name=f.mentor.name, handle=f.mentor.handle, topics=list(f.mentor.topics),
                   shared=list(f.shared), language=f.mentor.language, timezone=f.mentor.timezone,
                   link=signer.mailto(token, f"{word} {f.mentor.handle}"))
              for f in next_best_mentors(session, mentee, now, OFFERED)]
    listing = f"mailto:{hello}?subject={command_word(Keyword.MENTORS, mentee.language)}"
    send(OutgoingMail(template="request_expired", to=mentee.email, to_name=mentee.name,
                      language=mentee.language, reply_token=token,
                      values=dict(mentor=mentor.name, since=mentorship.requested_at, days=days,
                                  offers=offers, mentors=listing)))
    send(OutgoingMail(template="request_withdrawn", to=mentor.email, to_name=mentor.name,
                      language=mentor.language,
                      values=dict(mentee=mentee.name, since=mentorship.requested_at, days=days)))
