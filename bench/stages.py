#!/usr/bin/env python3
"""Where one HELP mail's time goes, stage by stage, in one process under cProfile: intake (ingest's
group commit), the worker (parse, routing and robots, the flow, composing the answer, the
transaction) and the dispatcher (to a local SMTP sink), then the worker again with mail coming one
at a time ("trickle"). CPU time per mail and SQL statements per mail, which hold steadier than
wall-clock rates on a shared machine. The sink is a thread of this process, so the dispatch line's
process CPU includes the sink's; the last column is the stage's own thread alone (for the
dispatch line, the dispatcher without the sink).

    python bench/stages.py [--mails 300] [--db sqlite|postgresql] [--profile [--top N]]
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mails import help_mails  # noqa: E402
from mailflow.app import build_app  # noqa: E402
from mailflow.clock import FixedClock  # noqa: E402
from mailflow.config import load_settings  # noqa: E402
from mailflow.ingest import Envelope  # noqa: E402
from tests.postgres import running_postgres  # noqa: E402
from tests.support.sink import SmtpSink  # noqa: E402

# the stage a profiled function belongs to, by the first matching part of its file name
STAGES = (("parsers/", "parse"), ("routing.py", "routing"), ("flows/", "flow"),
          ("domain/", "flow"), ("outgoing/compose", "compose"), ("jinja2", "compose"),
          ("email/", "parse or compose (email package)"), ("sqlalchemy", "SQL (SQLAlchemy)"),
          ("sqlite3", "SQL (driver)"), ("psycopg", "SQL (driver)"))


def settings_for(home: Path, url: str, relay: str):
    environ = {"MAILFLOW_HOME": str(home), "MAILFLOW_DATABASE_URL": url,
               "MAILFLOW_DOMAIN": "mentoring.test", "MAILFLOW_SECRET": "bench",
               "MAILFLOW_RELAY": relay, "MAILFLOW_AUTO_REPLY_LIMIT": "100000"}
    return load_settings(environ, toml_path=home / "absent.toml")


def counted(engine) -> list[int]:
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args) -> None:
        statements[0] += 1
    return statements


def profiled(what, top: int, profile: bool) -> tuple[float, float, float, pstats.Stats | None]:
    """CPU seconds of what() (the process's, and this thread's alone: the SMTP sink runs in a
    thread of this process, so the dispatcher's process figure includes the sink's work) and wall
    seconds; under cProfile (which slows SQLAlchemy down several times, so its figures are shares,
    not times) when profile is set."""
    profiler = cProfile.Profile() if profile else None
    began_cpu, began_own, began = time.process_time(), time.thread_time(), time.monotonic()
    profiler.runcall(what) if profiler else what()
    cpu, wall = time.process_time() - began_cpu, time.monotonic() - began
    own = time.thread_time() - began_own
    stats = pstats.Stats(profiler) if profiler else None
    if stats and top:
        stats.sort_stats("cumulative").print_stats(top)
    return cpu, own, wall, stats


def by_stage(stats: pstats.Stats) -> dict[str, float]:
    """Own time (tottime) of every function, summed by stage."""
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        stage = next((name for part, name in STAGES if part in filename), "other")
        totals[stage] = totals.get(stage, 0.0) + own
    return totals


def measure(url: str, count: int, top: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as home, SmtpSink() as sink:
        clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
        app = build_app(settings_for(Path(home), url, sink.url), clock)
        statements = counted(app.store.engine)
        mails = [(raw, Envelope(sender, ("hello@mentoring.test",), "smtp"))
                 for sender, _, raw in help_mails(count)]
        groups = [mails[n:n + 4] for n in range(0, count, 4)]  # 4 clients: groups of 4
        for name, what in (("intake", lambda: [app.ingest.store_all(g) for g in groups]),
                           ("worker", app.worker.drain), ("dispatch", app.dispatcher.drain)):
            before = statements[0]
            cpu, own, wall, stats = profiled(what, top, profile)
            print(f"{name:8} {1000 * cpu / count:6.2f} ms CPU/mail  {1000 * wall / count:6.2f} ms "
                  f"wall/mail  {(statements[0] - before) / count:5.1f} SQL/mail  "
                  f"{1000 * own / count:6.2f} ms CPU/mail in its own thread", flush=True)
            if stats is not None and name == "worker":
                stages = by_stage(stats)
                total = sum(stages.values())
                print("         shares: " + ", ".join(
                    f"{stage} {100 * seconds / total:.0f} %"
                    for stage, seconds in sorted(stages.items(), key=lambda item: -item[1])))
        trickle = [(raw, Envelope(sender, ("hello@mentoring.test",), "smtp"))
                   for sender, _, raw in help_mails(count, prefix="t-")]
        print(f"trickle  {1000 * one_at_a_time(app, trickle) / count:6.2f} ms CPU/mail  "
              "(the worker, each mail stored and handled in a batch of its own)", flush=True)
        app.dispatcher.drain()
        sink.wait_for(2 * count, timeout=60)
        app.store.dispose()


def one_at_a_time(app, mails) -> float:
    """The worker's CPU seconds for mails that come one at a time: each in a batch of its own,
    which then pays the batch's own costs (the move from the spool, the look, the claim, the
    commit) for one mail, as under a trickle of mail."""
    spent = 0.0
    for mail in mails:
        app.ingest.store_all([mail])
        began = time.process_time()
        app.worker.drain()
        spent += time.process_time() - began
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profile", action="store_true", help="under cProfile: shares per stage")
    parser.add_argument("--top", type=int, default=0, help="with --profile: the top N functions")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.db == "sqlite":
            url = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/s.sqlite3"
        else:
            admin = os.environ.get("MAILFLOW_TEST_POSTGRES") or \
                stack.enter_context(running_postgres()).admin_url
            url = admin  # a throwaway server: its admin database will do
        print(f"{args.db}, {args.mails} HELP mails" + (" under cProfile" if args.profile else ""))
        measure(url, args.mails, args.top, args.profile)


if __name__ == "__main__":
    main()
