"""Batch matching for coordinators: PROPOSE (VORSCHLAG) answers with the best overall assignment of
every unmatched mentee to a free mentor's place, one numbered line per pair with its score; MATCH
ALL (ZUORDNEN ALLE) or MATCH 3 5 8 sends the requests of those lines, as MATCH does for one pair.

The proposal is stored as it was shown, and its mail's reply address names it: MATCH 3 means the
third line the coordinator read, whatever was proposed since (typed to coordinators@, it means the
newest proposal). A line whose people changed since (the mentee found a mentor, the mentor's places
filled up, someone left) is not sent; the answer says which and why.
"""
from __future__ import annotations

from sqlalchemy import select

from ..domain.matching import Fit, best_assignment, closed_pairs, open_places
from ..domain.mentorships import open_request_of
from ..outcomes import Polite
from ..parsers.commands import Keyword, command_word
from ..reasons import Answer
from ..store.models import Mentorship, Person, Proposal, ProposalLine
from ..store.states import MentorshipState
from ..tokens import Token
from . import coordinators
from .context import Context
from .requests import open_request

ALL_WORDS = frozenset({"ALL", "ALLE"})


def propose(ctx: Context) -> str:
    """Store the best overall assignment and send it, with a one-click MATCH ALL."""
    fits, left = best_assignment(ctx.session, ctx.now)
    proposal = Proposal(created_at=ctx.now, requested_by=ctx.inbound.sender)
    ctx.session.add(proposal)
    ctx.session.flush()
    ctx.session.add_all(ProposalLine(proposal_id=proposal.id, number=number, mentee_id=f.mentee.id,
                                     mentor_id=f.mentor.id, score=f.score,
                                     explanation=f.explanation())
                        for number, f in enumerate(fits, start=1))
    token = Token("reply", "proposal", proposal.id, 0)
    word = command_word(Keyword.MATCH, ctx.language)
    ctx.answer("proposal", reply_token=token, proposal=proposal.id,
               lines=[_shown(number, f) for number, f in enumerate(fits, start=1)],
               left=[{"name": p.name, "email": p.email} for p in left],
               match=word, all_word="ALLE" if ctx.language == "de" else "ALL",
               match_all=ctx.link(token, f"{word} {'ALLE' if ctx.language == 'de' else 'ALL'}"))
    return f"proposal {proposal.id}: {len(fits)} pairs, {len(left)} mentees without a place"


def _shown(number: int, f: Fit) -> dict:
    return dict(number=number, mentee=f.mentee.name, mentee_email=f.mentee.email,
                mentor=f.mentor.name, mentor_handle=f.mentor.handle, score=f"{f.score:g}",
                shared=list(f.shared), same_language=f.same_language,
                languages=f"{f.mentee.language}/{f.mentor.language}",
                hours=f"{f.hours_apart:g}")


def match(ctx: Context) -> str:
    """MATCH ALL / MATCH 3 5 8: lines of a proposal; MATCH <mentee> <mentor>: one pair."""
    words = [w.strip(",;") for w in ctx.inbound.command.argument.split()]
    if not words or not (words[0].upper() in ALL_WORDS or all(w.isdigit() for w in words if w)):
        return coordinators.match(ctx)
    proposal = _proposal(ctx)
    lines = proposal.lines if words[0].upper() in ALL_WORDS else _chosen(proposal, words)
    sent, stale, closed = [], [], closed_pairs(ctx.session)
    for line in lines:
        why = _stale(ctx, line, closed)
        if why:
            stale.append(_line_values(ctx, line, change=why))
            continue
        mentorship = _request(ctx, line)
        sent.append(_line_values(ctx, line, id=mentorship.id))
    ctx.answer("proposal_matched", proposal=proposal.id, day=proposal.created_at, sent=sent,
               stale=stale)
    return f"proposal {proposal.id}: {len(sent)} requests sent, {len(stale)} lines stale"


def _proposal(ctx: Context) -> Proposal:
    """The proposal the replied-to mail named (locked, so racing answers send each line once),
    else the newest one."""
    token = ctx.inbound.token
    query = select(Proposal)
    if token is not None and token.purpose == "proposal":
        query = query.where(Proposal.id == token.object_id)
    proposal = ctx.session.scalar(query.order_by(Proposal.id.desc()).limit(1).with_for_update())
    if proposal is None:
        raise Polite(Answer.NO_PROPOSAL)
    return proposal


def _chosen(proposal: Proposal, words: list[str]) -> list[ProposalLine]:
    wanted = sorted({int(w) for w in words if w})
    by_number = {line.number: line for line in proposal.lines}
    unknown = [n for n in wanted if n not in by_number]
    if unknown:
        raise Polite(Answer.UNKNOWN_LINES, proposal=proposal.id, count=len(by_number),
                     lines=", ".join(map(str, unknown)))
    return [by_number[n] for n in wanted]


def _stale(ctx: Context, line: ProposalLine, closed: set[tuple[int, int]]) -> str:
    """Why the line cannot be sent any more ("" when it can)."""
    mentee = ctx.session.get(Person, line.mentee_id)
    mentor = ctx.session.get(Person, line.mentor_id)
    if line.mentorship_id is not None:
        return "sent_before"
    if mentee.deleted_at is not None or mentee.bounced_at is not None:
        return "mentee_gone"
    if mentor.deleted_at is not None or mentor.bounced_at is not None:
        return "mentor_gone"
    if open_request_of(ctx.session, mentee) is not None or _matched(ctx, mentee):
        return "mentee_taken"
    if (mentee.id, mentor.id) in closed:
        return "closed_before"
    if open_places(ctx.session, [mentor])[mentor.id] <= 0:
        return "mentor_full"
    return ""


def _matched(ctx: Context, mentee: Person) -> bool:
    return ctx.session.scalar(select(Mentorship.id).where(
        Mentorship.mentee_id == mentee.id,
        Mentorship.state != MentorshipState.DECLINED).limit(1)) is not None


def _request(ctx: Context, line: ProposalLine) -> Mentorship:
    """The line's request to the mentor, and the mentee told, as MATCH does."""
    mentee = ctx.session.get(Person, line.mentee_id)
    mentor = ctx.session.get(Person, line.mentor_id)
    mentorship = open_request(ctx, mentee, mentor, coordinators.match_note(mentor.language))
    ctx.send(ctx.mail_to(mentee, "request_sent", values={"mentor": mentor.name}))
    line.mentorship_id = mentorship.id
    ctx.session.flush()
    return mentorship


def _line_values(ctx: Context, line: ProposalLine, **values) -> dict:
    mentee = ctx.session.get(Person, line.mentee_id)
    mentor = ctx.session.get(Person, line.mentor_id)
    return dict(number=line.number, mentee=mentee.name, mentor=mentor.name, **values)
