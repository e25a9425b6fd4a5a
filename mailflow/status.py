"""`run.py status`: what an operator, or a health check, needs at a glance: mail waiting and
failed in both queues, the last run of each job, bouncing addresses and the schema revision, and
what of it needs attention (the command exits non-zero then). It only reads; it never migrates."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .store.migrations import current_revision, head_revision
from .store.models import InboundMessage, JobRun, OutboundMessage, Person
from .store.session import Store

STALE = timedelta(hours=1)  # mail due this long and still not handled or sent needs attention
# outgoing mail that failed for good stays failed (the address is marked bouncing): it needs
# attention for a week, like the digest lists it, not for ever after
RECENT_FAILURES = timedelta(days=7)
SHOWN = 5  # failed mails and bouncing addresses listed one by one


@dataclass(frozen=True)
class Queue:
    waiting: int = 0
    oldest: datetime | None = None  # when the oldest waiting mail arrived (inbound) or was queued
    overdue: int = 0  # waiting mail that has been due for longer than STALE
    failed: int = 0
    failures: tuple[str, ...] = ()  # the newest failed mails, a line each


@dataclass(frozen=True)
class Status:
    now: datetime
    revision: str | None
    head: str
    inbound: Queue = field(default_factory=Queue)
    outbox: Queue = field(default_factory=Queue)
    job_runs: tuple[tuple[str, datetime], ...] = ()  # each job's last run that did something
    bouncing: int = 0
    bouncing_shown: tuple[str, ...] = ()

    def attention(self) -> list[str]:
        """What needs the operator, a sentence each; empty when all is well."""
        found = []
        if self.revision != self.head:
            where = f"the schema is at {self.revision}" if self.revision else "no schema yet"
            found.append(f"{where} (newest: {self.head}): run `run.py migrate`")
        if self.inbound.failed:
            found.append(f"{self.inbound.failed} received mail(s) failed: fix the cause, then "
                         "`run.py retry`")
        if self.inbound.overdue:
            found.append(f"{self.inbound.overdue} received mail(s) due for over {_age(STALE)}: "
                         "are the workers running?")
        if self.outbox.failed:
            found.append(f"{self.outbox.failed} outgoing mail(s) failed for good in the last "
                         f"{RECENT_FAILURES.days} days (their addresses are marked as bouncing)")
        if self.outbox.overdue:
            found.append(f"{self.outbox.overdue} outgoing mail(s) waiting for over {_age(STALE)}: "
                         "is the dispatcher running, does the relay take them?")
        return found


def read_status(store: Store, now: datetime) -> Status:
    with store.reading() as session:
        revision, head = current_revision(session.connection()), head_revision()
        if revision is None:
            return Status(now, revision, head)
        inbound = _with_spooled(_inbound(session, now), store, now)
        return Status(now, revision, head, inbound, _outbox(session, now),
                      _job_runs(session), *_bouncing(session))


def _with_spooled(queue: Queue, store: Store, now: datetime) -> Queue:
    """SQLite's spooled mail waits too: not yet moved into the store by a worker."""
    if store.spool is None:
        return queue
    count, oldest, stale = store.spool.summary(now - STALE)
    if not count:
        return queue
    first = min(oldest, queue.oldest) if queue.oldest else oldest
    return replace(queue, waiting=queue.waiting + count, oldest=first,
                   overdue=queue.overdue + stale)


def _inbound(session: Session, now: datetime) -> Queue:
    def line(row: InboundMessage) -> str:
        return (f"#{row.id} from {row.envelope_from or '?'} after {row.attempts} attempts: "
                f"{_first_line(row.error)}")
    return _queue(session, InboundMessage.state == "new", InboundMessage.received_at,
                  InboundMessage.not_before <= now - STALE, InboundMessage.state == "failed", line)


def _outbox(session: Session, now: datetime) -> Queue:
    def line(row: OutboundMessage) -> str:
        return f"#{row.id} {row.template} to {row.recipient}: {_first_line(row.last_error)}"
    return _queue(session, OutboundMessage.state.in_(("pending", "sending")),
                  OutboundMessage.created_at, OutboundMessage.created_at <= now - STALE,
                  (OutboundMessage.state == "failed")
                  & (OutboundMessage.created_at >= now - RECENT_FAILURES), line)


def _queue(session: Session, waiting, arrived, overdue, failed, line) -> Queue:
    """Waiting rows (how many, since when, how many overdue) and failed rows, the newest named."""
    model = arrived.class_
    count, oldest = session.execute(select(func.count(), func.min(arrived)).where(waiting)).one()
    rows = session.scalars(select(model).where(failed).order_by(model.id.desc()).limit(SHOWN))
    return Queue(count, oldest, _count(session, model, waiting & overdue),
                 _count(session, model, failed), tuple(map(line, rows)))


def _count(session: Session, model, condition) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition))


def _job_runs(session: Session) -> tuple[tuple[str, datetime], ...]:
    query = select(JobRun.job, func.max(JobRun.ran_at)).group_by(JobRun.job).order_by(JobRun.job)
    return tuple((job, ran_at) for job, ran_at in session.execute(query))


def _bouncing(session: Session) -> tuple[int, tuple[str, ...]]:
    bouncing = Person.bounced_at.is_not(None) & Person.deleted_at.is_(None)
    rows = session.scalars(select(Person).where(bouncing)
                           .order_by(Person.bounced_at.desc()).limit(SHOWN))
    shown = tuple(f"{p.email} since {_moment(p.bounced_at)}: {_first_line(p.bounce_reason)}"
                  for p in rows)
    return _count(session, Person, bouncing), shown


def render(status: Status) -> str:
    """The report as the operator reads it; the last line says whether all is well."""
    inbound, outbox = status.inbound, status.outbox
    lines = [f"mailflow status at {_moment(status.now)}",
             f"schema:   {status.revision or 'none'}"
             + (" (newest)" if status.revision == status.head else f" (newest is {status.head})"),
             f"inbound:  {inbound.waiting} waiting{_oldest(status, inbound)}, "
             f"{inbound.failed} failed",
             *(f"  {line}" for line in inbound.failures),
             f"outbox:   {outbox.waiting} pending{_oldest(status, outbox)}, "
             f"{outbox.failed} failed in {RECENT_FAILURES.days} days",
             *(f"  {line}" for line in outbox.failures),
             "jobs:     " + ("; ".join(f"{job} {_moment(at)}" for job, at in status.job_runs)
                             or "no job has done anything yet"),
             f"bouncing: {status.bouncing} address(es)",
             *(f"  {line}" for line in status.bouncing_shown)]
    problems = status.attention()
    lines += [f"attention: {problem}" for problem in problems] or ["all well"]
    return "\n".join(lines)


def _oldest(status: Status, queue: Queue) -> str:
    return f" (oldest {_age(status.now - queue.oldest)})" if queue.oldest else ""


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _moment(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _first_line(text: str) -> str:
    lines = (text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= 100 else line[:99] + "…"
