"""The answer to the first feedback form's "good fit?": stored on the feedback; a "no" tells the
coordinators (never the other side), and a mentee who says "no" is offered a new match in their
thank-you mail: MENTORS (one click) to choose another mentor, and END for this mentorship. A
mentor's "no" offers the mentee nothing directly, since that would tell the mentee what the mentor
said: the coordinators' mail has the links to end it and to match the mentee anew."""
from __future__ import annotations

from ..domain.coordinator_links import command_link, coordinator_word
from ..domain.mentorships import other_side, role_in
from ..outgoing.compose import OutgoingMail
from ..parsers.commands import Keyword, command_word
from ..store.models import Feedback, Meeting, Mentorship
from ..tokens import Token
from .context import Context


def fit_answered(ctx: Context, meeting: Meeting, mentorship: Mentorship, feedback: Feedback,
                 answer: str | None) -> dict:
    """Store the answer; the extra values of the thank-you mail. The coordinators hear of a "no"
    once, however often the form comes back."""
    if answer is None:
        return {}
    before, feedback.good_fit = feedback.good_fit, answer
    if answer != "no":
        return {"fit": answer}
    if before != "no":
        _tell_coordinators(ctx, meeting, mentorship, feedback)
    values = {"fit": "no"}
    if role_in(mentorship, ctx.person) == "mentee":
        end = Token("reply", "end", mentorship.id, ctx.person.id)
        values.update(new_match=ctx.hello_link(command_word(Keyword.MENTORS, ctx.language)),
                      end=ctx.link(end, command_word(Keyword.END, ctx.language)))
    return values


def _tell_coordinators(ctx: Context, meeting: Meeting, mentorship: Mentorship,
                       feedback: Feedback) -> None:
    person, other = ctx.person, other_side(mentorship, ctx.person)
    end = f"{coordinator_word(ctx.settings, Keyword.END)} {mentorship.id}"
    values = dict(id=mentorship.id, who=person.name, email=person.email,
                  role=role_in(mentorship, person), other=other.name,
                  mentee_email=mentorship.mentee.email, meeting=meeting.starts_at,
                  comment=feedback.comment,
                  match_word=coordinator_word(ctx.settings, Keyword.MATCH),
                  coordinators=ctx.settings.coordinators_address)
    for address in ctx.settings.coordinators:  # each coordinator's link acts for them only
        link = command_link(ctx.signer, end, address, ctx.now)
        ctx.send(OutgoingMail(template="fit_no", to=address, language=ctx.settings.language,
                              values=dict(values, end=link)))
