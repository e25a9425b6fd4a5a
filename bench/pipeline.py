"""Pipeline benchmark: 2,000 HELP mails from 4 concurrent SMTP clients to `run.py serve`, answers to a local sink.

Prints intake rate (250s per second), end-to-end rate (answers at the sink per second), latency from 250 to the
answer at the sink (p50, p99) and the serve process's peak memory, on SQLite and on PostgreSQL.

    python bench/pipeline.py [--mails 2000] [--clients 4] [--only sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import smtplib
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.ports import free_port  # noqa: E402
from tests.support.processes import environment, start, stop, wait_for_port  # noqa: E402
from tests.support.sink import SmtpSink  # noqa: E402

WORKERS = 1
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class TimedSink(SmtpSink):
    """The test sink, also noting when each answer arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"in-reply-to:"):
                self.arrived[line.split(b":", 1)[1].strip().decode()] = time.monotonic()
                break
        return answer


def mails(count: int) -> list[tuple[str, bytes]]:
    result = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = f"bench{n}@example.org"
        message["To"] = "hello@mentoring.test"
        message["Subject"] = "HELP"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@bench.example>"
        message.set_content("HELP\n")
        result.append((message["Message-ID"], message.as_bytes(policy=SMTP)))
    return result


def client(port: int, batch: list[tuple[str, bytes]], accepted: dict[str, float]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for message_id, raw in batch:
            sender = raw.split(b"From: ", 1)[1].split(b"\r\n", 1)[0].decode()
            smtp.sendmail(sender, ["hello@mentoring.test"], raw)
            accepted[message_id] = time.monotonic()


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(kind: str, database_url: str, count: int, clients: int, home: Path) -> dict[str, float]:
    with TimedSink() as sink:
        port = free_port()
        env = environment(datetime.now(timezone.utc), home=str(home), database_url=database_url, domain="mentoring.test", secret="bench",
                          relay=sink.url, smtp_listen=f"127.0.0.1:{port}", auto_reply_limit="100000",
                          workers=str(WORKERS))
        serve = start("serve", env, home / "serve.log")
        try:
            wait_for_port(port, serve)
            batches = [mails(count // clients) for _ in range(clients)]
            accepted: dict[str, float] = {}
            begin = time.monotonic()
            threads = [threading.Thread(target=client, args=(port, b, accepted)) for b in batches]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            intake_end = time.monotonic()
            sink.wait_for(len(accepted), timeout=600)
            done = time.monotonic()
            memory = peak_memory_mb(serve.pid)
        finally:
            stop(serve)
    latencies = sorted(sink.arrived[m] - accepted[m] for m in accepted)
    return {"intake/s": len(accepted) / (intake_end - begin), "end-to-end/s": len(accepted) / (done - begin),
            "p50 ms": 1000 * statistics.median(latencies), "p99 ms": 1000 * latencies[int(len(latencies) * 0.99)],
            "peak MB": memory}


def postgres_database() -> tuple[str, callable]:
    name = f"mailflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, default=1, help="MAILFLOW_WORKERS for serve")
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers
    for kind in ("sqlite", "postgresql"):
        if args.only and args.only != kind:
            continue
        with tempfile.TemporaryDirectory() as home:
            if kind == "sqlite":
                url, cleanup = f"sqlite:///{home}/bench.sqlite3", (lambda: None)
            else:
                url, cleanup = postgres_database()
            try:
                figures = run(kind, url, args.mails, args.clients, Path(home))
            finally:
                cleanup()
        print(f"{kind:10} " + "  ".join(f"{k}: {v:7.1f}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
