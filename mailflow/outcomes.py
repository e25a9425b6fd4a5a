"""Typed outcomes of handling one inbound mail, and the one place that says what each means for the person
(which reply), the log (which line) and the store (which state)."""
from __future__ import annotations

from dataclasses import dataclass, field


class FlowError(Exception):
    """Base of the errors a flow raises to stop; the worker rolls back the flow's changes."""


@dataclass
class Refused(FlowError):
    """Someone may not do this (forged token, wrong sender). Logged, never answered: it may be an attacker."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass
class Polite(FlowError):
    """The person did something we cannot do; they get the named mail explaining why and what to do instead."""

    template: str
    values: dict = field(default_factory=dict)
    reason: str = ""

    def __str__(self) -> str:
        return self.reason or self.template


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
