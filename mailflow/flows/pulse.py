"""The answer to a relationship pulse question: a score 1–5 by one click (or typed, with a comment
after it). Stored for the coordinators only; the other side never hears of it. A reply without a
score gets the question again."""
from __future__ import annotations

from ..domain.pulse import LOW, record_answer, send_pulse
from ..outcomes import Refused
from ..parsers.commands import Keyword, command_word
from ..parsers.scores import read_score
from ..reasons import Refusal
from ..store.models import Mentorship, PulseCheck
from .context import Context


def answer_received(ctx: Context) -> str:
    check = ctx.session.get(PulseCheck, ctx.inbound.token.object_id)
    if check is None or ctx.person is None or check.person_id != ctx.person.id:
        raise Refused(Refusal.PULSE_FOR_OTHERS, sender=ctx.inbound.sender)
    mentorship = ctx.session.get(Mentorship, check.mentorship_id)
    score, comment = read_score(ctx.inbound.mail.subject, ctx.inbound.new_text)
    if score is None:
        send_pulse(ctx.signer, ctx.send, check, mentorship, ctx.person,
                   unreadable=comment or ctx.inbound.mail.subject)
        return f"pulse answer of person {ctx.person.id} without a score: asked again"
    record_answer(check, score, comment, ctx.now)
    mentorship.last_activity_at = ctx.now
    concern = command_word(Keyword.CONCERN, ctx.language)
    ctx.answer("pulse_thanks", score=score, low=score <= LOW,
               concern=ctx.hello_link(concern))
    return f"pulse {score} on mentorship {mentorship.id} from person {ctx.person.id}"
