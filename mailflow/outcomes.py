"""Typed outcomes of handling one inbound mail; with the catalogue in reasons.py, the one place
that says what each means for the person (which reply), the log (which line) and the store
(which state)."""
from __future__ import annotations

from dataclasses import dataclass

from .reasons import Answer, Reason, Refusal


class FlowError(Exception):
    """Base of the errors a flow raises to stop; the worker rolls back the flow's changes."""


class Refused(FlowError):
    """Someone may not do this (forged token, wrong sender). Logged, never answered: it may be an
    attacker. The refusal says why; the values fill its log line."""

    def __init__(self, refusal: Refusal, /, **values) -> None:
        super().__init__(refusal)
        self.refusal, self.values = refusal, values

    def __str__(self) -> str:
        return self.refusal.note(self.values)


class Polite(FlowError):
    """The person did something we cannot do; they get the reason's mail explaining why and what to
    do instead. The values fill both that mail and the reason's log line (reason is positional
    only: a value may be called reason too, as a bounce's)."""

    def __init__(self, reason: Reason | Answer, /, **values) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = reason.mail_values(values)  # what the mail is rendered with, why included

    @property
    def template(self) -> str:
        return self.reason.template

    def __str__(self) -> str:
        return self.reason.note(self.values)


@dataclass(frozen=True)
class Outcome:
    """What became of one inbound mail, as stored on its row."""

    state: str  # done | ignored | refused | failed
    note: str


def done(note: str) -> Outcome:
    return Outcome("done", note)


def ignored(note: str) -> Outcome:
    return Outcome("ignored", note)


def refused(note: str) -> Outcome:
    return Outcome("refused", note)
