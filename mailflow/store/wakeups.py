"""Wake-ups across processes and hosts on PostgreSQL: a transaction that stored mail (by the
inbound table's trigger, migration 0009) or queued an answer (announce) says NOTIFY, which
PostgreSQL delivers at its commit (and drops with a rollback), and a listener beside each worker
and dispatcher sets the event their loop waits on. serve's children
share events with serve already; parts run apart (`run.py worker` on a second host, `jobs --once`
from cron) would otherwise be found by the others only at their next poll (MAILFLOW_POLL_SECONDS).
SQLite has no such channel: its parts apart from serve poll."""
from __future__ import annotations

import logging
import threading
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
STORED = "mailflow_stored"  # inbound mail is due: for the workers
QUEUED = "mailflow_queued"  # outbox mail is due: for the dispatchers
RECONNECT_SECONDS = 5
_NOTIFY = text("SELECT pg_notify(:channel, '')")
_ANNOUNCED = "mailflow.announced"  # session.info: (transaction, the channels it notified)


class Settable(Protocol):
    def set(self) -> None: ...


def announce(session: Session, channel: str) -> None:
    """NOTIFY channel at the commit of session's transaction, once however often it is asked (on
    PostgreSQL; elsewhere nothing)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    known = session.info.get(_ANNOUNCED)
    if known is None or known[0] is not transaction:
        known = session.info[_ANNOUNCED] = (transaction, set())
    if channel not in known[1]:
        connection.execute(_NOTIFY, {"channel": channel})
        known[1].add(channel)


def listen(url: URL, events: dict[str, Settable], stop: threading.Event) -> threading.Thread:
    """A thread that sets events[channel] for each NOTIFY on channel until stop is set; on
    (re)connecting it sets them all, for what was announced while it was away."""
    thread = threading.Thread(target=_listen, args=(url, events, stop), name="listener",
                              daemon=True)
    thread.start()
    return thread


def _listen(url: URL, events: dict[str, Settable], stop: threading.Event) -> None:
    import psycopg  # only where PostgreSQL is used

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                for channel in events:
                    connection.execute(f"LISTEN {channel}")
                for event in events.values():
                    event.set()
                while not stop.is_set():
                    for note in connection.notifies(timeout=1.0):
                        events[note.channel].set()
        except psycopg.Error as exc:
            log.warning("listening for new mail: %s; polling meanwhile, again in %d s", exc,
                        RECONNECT_SECONDS)
            stop.wait(RECONNECT_SECONDS)
