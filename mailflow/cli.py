"""The operator's command line: `python run.py <command>` (or the `mailflow` console script)."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import datetime, timezone

from .config import ConfigError, load_settings
from .logs import configure_logging
from .parsers.people_csv import COLUMNS

PARTS = {
    "serve": ("everything with one command: SMTP receiver, IMAP poller (if configured), "
              "dispatcher and jobs, with the workers in child processes",
              ["smtp", "imap", "worker", "dispatch", "jobs"]),
    "smtp": ("only the SMTP receiver (stores mail; workers process it)", ["smtp"]),
    "imap": ("only the IMAP poller (MAILFLOW_IMAP)", ["imap"]),
    "worker": ("only workers: process stored mail (MAILFLOW_WORKERS threads)", ["worker"]),
    "dispatch": ("only the outbox dispatcher: send through MAILFLOW_RELAY or into the outbox "
                 "folder", ["dispatch"]),
}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="mailflow", description="An email-first service that runs mentoring programmes. "
        "Settings come from MAILFLOW_* variables or mailflow.toml.")
    main.add_argument("--verbose", "-v", action="store_true",
                      help="log debug detail (as MAILFLOW_LOG_LEVEL=DEBUG)")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (text, _) in PARTS.items():
        commands.add_parser(name, help=text, description=text)
    _add_jobs(commands)
    _add_import(commands)
    commands.add_parser("migrate", help="create or upgrade the database schema and exit")
    _add_retry(commands)
    _add_status(commands)
    _add_demo(commands)
    return main


def _add_jobs(commands) -> None:
    jobs = commands.add_parser(
        "jobs", help="run scheduled jobs",
        description="Run the scheduler, or with --once every job that is due and exit.")
    jobs.add_argument("--once", action="store_true",
                      help="run every due job once and exit; waits for a pass that is running "
                      "(MAILFLOW_JOBS_WAIT_SECONDS), exits 1 if it could not get its turn")
    jobs.add_argument("--now", type=_moment,
                      help="with --once: act as if it were this ISO-8601 moment")


def _add_import(commands) -> None:
    importing = commands.add_parser(
        "import", help="import or update participants from a CSV file",
        description="Import participants (columns: " + ",".join(COLUMNS) + "). Good rows are "
        "imported, bad rows are listed and change nothing; importing the same file again updates "
        "people instead of duplicating them.")
    importing.add_argument("file", type=argparse.FileType("rb"),
                           help="the CSV file (UTF-8, header row)")


def _add_retry(commands) -> None:
    retry = commands.add_parser(
        "retry", help="process mail that failed three times again, e.g. after a fix",
        description="Put inbound mail that was set aside after three failed attempts back in the "
        "queue: all of it, or the ids given (the digest lists them). A running worker then takes "
        "it up.")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID",
                       help="inbound message ids (default: all failed)")


def _add_status(commands) -> None:
    commands.add_parser(
        "status", help="queues, failed mail, last job runs; exit 1 if something needs attention",
        description="Show mail waiting and failed in both queues, the last run of each job, "
        "bouncing addresses and the schema revision, and what needs attention. Exit code 0: all "
        "well; 1: something needs attention; 2: the database cannot be read. Changes nothing, "
        "so it serves as a health check.")


def _add_demo(commands) -> None:
    demo = commands.add_parser(
        "demo", help="play one whole mentorship through a throwaway instance",
        description="Play one whole mentorship through the real SMTP path of a throwaway instance "
        "(its own SQLite file, SMTP port and .eml folder) and say where the mails lie.")
    demo.add_argument("--dir", help="where to keep the instance (default: a new temporary folder)")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo
        configure_logging("DEBUG" if args.verbose else "WARNING")
        return run_demo(args.dir)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 2
    if args.verbose:
        settings = replace(settings, log_level="DEBUG")  # also for serve's worker processes
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "status":
        return _status(settings)
    from .app import build_app
    from .clock import clock_at
    runs_on = args.command in PARTS or (args.command == "jobs" and not args.once)
    app = build_app(settings, clock_at(settings.now, running=runs_on, since=settings.now_since))
    if args.command == "migrate":
        return 0
    if args.command == "jobs":
        return _jobs(app, args)
    if args.command == "import":
        return _import(app, args.file.read(), args.file.name)
    if args.command == "retry":
        return _retry(app, tuple(args.ids))
    from .supervisor import run_parts, stop_on_signals
    run_parts(app, PARTS[args.command][1], stop_on_signals(),
              worker_processes=args.command == "serve")
    return 0


def _jobs(app, args) -> int:
    from .jobs.scheduler import SchedulerBusy, run_due, run_scheduler
    if args.once:
        wait = app.settings.jobs_wait_seconds
        try:
            results = run_due(app, args.now or app.clock.now(), wait=wait)
        except SchedulerBusy as exc:
            print(f"mailflow jobs: {exc}; nothing done", file=sys.stderr)
            return 1
        print(", ".join(f"{name}: {count}" for name, count in results.items()) or "no jobs")
        return 1 if any(count < 0 for count in results.values()) else 0
    from .supervisor import stop_on_signals
    run_scheduler(app, stop_on_signals())
    return 0


def _status(settings) -> int:
    """Read-only and without the app (no migration, no fonts): quick enough for a health check."""
    from sqlalchemy.exc import SQLAlchemyError

    from .clock import clock_at
    from .status import read_status, render
    from .store.session import Store
    store = Store(settings.database_url)
    try:
        status = read_status(store, clock_at(settings.now, running=False).now())
    except SQLAlchemyError as exc:
        print(f"mailflow status: cannot read the database: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    print(render(status))
    return 1 if status.attention() else 0


def _retry(app, ids: tuple[int, ...]) -> int:
    from .ingest import retry_failed
    queued = retry_failed(app.store, app.clock, ids)
    listed = f": {', '.join(map(str, queued))}" if queued else ""
    print(f"{len(queued)} failed mail(s) back in the queue" + listed)
    missing = sorted(set(ids) - set(queued))
    if missing:
        print(f"not failed (or unknown), left alone: {', '.join(map(str, missing))}")
    return 1 if missing else 0


def _import(app, data: bytes, name: str) -> int:
    from tqdm import tqdm

    from .domain.people import import_rows
    from .parsers.people_csv import read_people_csv
    people = read_people_csv(data)
    with (app.store.transaction() as session,
          tqdm(total=len(people.rows), desc="importing", unit="person") as bar):
        counts = import_rows(session, app.settings, people.rows, app.clock.now(),
                             progress=bar.update)
    print(f"{name}: {counts.created} created, {counts.updated} updated, "
          f"{counts.unchanged} unchanged, {len({e.line for e in people.errors})} rows with errors")
    for error in people.errors:
        print(f"  line {error.line}, {error.field}: {error.reason}")
    return 1 if people.errors else 0
