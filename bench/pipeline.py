"""Pipeline benchmark: 2,000 HELP mails from 4 concurrent SMTP clients to `run.py serve`, answers
to a local sink.

Prints intake rate (250s per second), end-to-end rate (answers at the sink per second), latency from
250 to the answer at the sink (p50, p99) and the serve process's peak memory, on SQLite and on
PostgreSQL (MAILFLOW_TEST_POSTGRES, else a throwaway server as the tests start one). With --compare
it also runs the two baselines (bench/baseline_sink.py, bench/baseline_chain.py) in the same
invocation and prints the ratios, since absolute figures vary by ±30 % between runs.

    python bench/pipeline.py [--mails 2000] [--clients 4] [--only sqlite|postgresql] [--compare]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import smtplib
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import baseline_chain, baseline_sink  # noqa: E402
from bench.mails import help_mails  # noqa: E402
from tests.postgres import running_postgres  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.processes import environment, start, stop, wait_for_port  # noqa: E402
from tests.support.sink import SmtpSink  # noqa: E402

WORKERS = 1


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


def client(port: int, batch: list[tuple[str, str, bytes]], accepted: dict[str, float]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for sender, message_id, raw in batch:
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
        env = environment(datetime.now(timezone.utc), home=str(home), database_url=database_url,
                          domain="mentoring.test", secret="bench", relay=sink.url,
                          smtp_listen=f"127.0.0.1:{port}", auto_reply_limit="100000",
                          workers=str(WORKERS))
        serve = start("serve", env, home / "serve.log")
        try:
            wait_for_port(port, serve)
            batches = [help_mails(count // clients, prefix=f"c{n}-") for n in range(clients)]
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
    return {"intake/s": len(accepted) / (intake_end - begin),
            "end-to-end/s": len(accepted) / (done - begin),
            "p50 ms": 1000 * statistics.median(latencies),
            "p99 ms": 1000 * latencies[int(len(latencies) * 0.99)], "peak MB": memory}


def postgres_database(admin_url: str) -> tuple[str, callable]:
    name = f"mailflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, default=1, help="MAILFLOW_WORKERS for serve")
    parser.add_argument("--compare", action="store_true", help="also run the baselines; ratios")
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers
    baselines = {}
    if args.compare:
        baselines = {"sink": baseline_sink.measure(args.mails, args.clients),
                     "chain": baseline_chain.measure(args.mails)}
        print(f"baselines  durable sink intake/s: {baselines['sink']:7.1f}  "
              f"tuned chain end-to-end/s: {baselines['chain']:7.1f}", flush=True)
    for kind in ("sqlite", "postgresql"):
        if not args.only or args.only == kind:
            figures = measure(kind, args)
            print(f"{kind:10} " + "  ".join(f"{k}: {v:7.1f}" for k, v in figures.items()),
                  flush=True)
            if baselines:
                intake = figures["intake/s"] / baselines["sink"]
                print(f"{kind:10} intake / durable sink: {intake:.2f}"
                      f"  end-to-end / tuned chain: "
                      f"{figures['end-to-end/s'] / baselines['chain']:.2f}", flush=True)


def measure(kind: str, args) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        if kind == "sqlite":
            url = f"sqlite:///{home}/bench.sqlite3"
            return run(kind, url, args.mails, args.clients, Path(home))
        with contextlib.ExitStack() as stack:
            admin = os.environ.get("MAILFLOW_TEST_POSTGRES") or \
                stack.enter_context(running_postgres()).admin_url
            url, drop = postgres_database(admin)
            stack.callback(drop)
            return run(kind, url, args.mails, args.clients, Path(home))


if __name__ == "__main__":
    main()
