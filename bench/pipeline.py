"""Pipeline benchmark: 2,000 HELP mails from 4 concurrent SMTP clients to `run.py serve`, answers
to a local sink.

Prints intake rate (250s per second), end-to-end rate (answers at the sink per second), latency from
250 to the answer at the sink (p50, p99) and the serve process's peak memory, on SQLite and on
PostgreSQL (MAILFLOW_TEST_POSTGRES, else a throwaway server as the tests start one). With --compare
it also runs the two baselines (bench/baseline_sink.py, bench/baseline_chain.py) in the same
invocation and prints the ratios, since absolute figures vary by ±30 % between runs; it then also
sends mail at half the end-to-end rate just measured (paced, one client) for the p99 latency from
250 to the answer at the relay, and runs PostgreSQL with two worker processes beside one.

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


def client(port: int, batch: list[tuple[str, str, bytes]], accepted: dict[str, float],
           rate: float | None = None) -> None:
    """Send batch over one connection, as fast as the 250s come, or paced at rate mails/s."""
    began = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for number, (sender, message_id, raw) in enumerate(batch):
            if rate:
                time.sleep(max(0.0, began + number / rate - time.monotonic()))
            smtp.sendmail(sender, ["hello@mentoring.test"], raw)
            accepted[message_id] = time.monotonic()


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds so far of serve (the receiver), of each of its children, by the name the
    supervisor gave it (mf-worker-0, mf-dispatcher), and of the PostgreSQL server."""
    ticks = os.sysconf("SC_CLK_TCK")

    def used(task: Path) -> float:
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    found = {"receiver": used(Path(f"/proc/{pid}")), "postgres": 0.0}
    for thread in Path(f"/proc/{pid}/task").iterdir():
        for child in (thread / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):
                process = Path(f"/proc/{child}")
                found[(process / "comm").read_text().strip().removeprefix("mf-")] = used(process)
    for process in Path("/proc").glob("[0-9]*"):  # the database server's processes, all of them
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if (process / "comm").read_text().strip() == "postgres":
                found["postgres"] += used(process)
    return found


def cpu_per_mail(before: dict[str, float], after: dict[str, float], bench: float,
                 count: int) -> dict[str, float]:
    """CPU milliseconds per mail of each process during the run; "bench" is this process: the
    clients and the sink."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    spent = {name: seconds for name, seconds in spent.items() if seconds > 0.01} | {"bench": bench}
    return {name: 1000 * seconds / count for name, seconds in spent.items()}


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(kind: str, database_url: str, count: int, clients: int, home: Path,
        rate: float | None = None) -> dict[str, float]:
    """A burst from clients concurrent clients, or with rate one client paced at rate mails/s."""
    with TimedSink() as sink:
        port = free_port()
        env = environment(datetime.now(timezone.utc), home=str(home), database_url=database_url,
                          domain="mentoring.test", secret="bench", relay=sink.url,
                          smtp_listen=f"127.0.0.1:{port}", auto_reply_limit="100000",
                          workers=str(WORKERS))
        serve = start("serve", env, home / "serve.log")
        try:
            wait_for_port(port, serve)
            clients = 1 if rate else clients
            batches = [help_mails(count // clients, prefix=f"c{n}-") for n in range(clients)]
            accepted: dict[str, float] = {}
            cpu_before, bench_before = cpu_seconds(serve.pid), time.process_time()
            begin = time.monotonic()
            threads = [threading.Thread(target=client, args=(port, b, accepted, rate))
                       for b in batches]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            intake_end = time.monotonic()
            sink.wait_for(len(accepted), timeout=600)
            done = time.monotonic()
            cpu = cpu_per_mail(cpu_before, cpu_seconds(serve.pid),
                               time.process_time() - bench_before, len(accepted))
            memory = peak_memory_mb(serve.pid)
        finally:
            stop(serve)
    latencies = sorted(sink.arrived[m] - accepted[m] for m in accepted)
    return {"intake/s": len(accepted) / (intake_end - begin),
            "end-to-end/s": len(accepted) / (done - begin),
            "p50 ms": 1000 * statistics.median(latencies),
            "p99 ms": 1000 * latencies[int(len(latencies) * 0.99)], "peak MB": memory,
            "cpu": cpu}


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
    baselines = {}
    if args.compare:
        chain, chain_cpu = baseline_chain.measure(args.mails)
        baselines = {"sink": baseline_sink.measure(args.mails, args.clients), "chain": chain}
        print(f"baselines  durable sink intake/s: {baselines['sink']:7.1f}  "
              f"tuned chain end-to-end/s: {chain:7.1f} ({chain_cpu:.2f} ms CPU/mail, one core)",
              flush=True)
    for kind in ("sqlite", "postgresql"):
        if not args.only or args.only == kind:
            figures = measure(kind, args)
            show(kind, figures)
            if baselines:
                compare(kind, figures, baselines, args)


def show(label: str, figures: dict) -> None:
    """The figures, then the CPU each process spent per mail and the rate that would fill every
    core with it: the ceiling of this machine for this pipeline, clients and sink included."""
    cpu = figures["cpu"]
    print(f"{label:10} " + "  ".join(f"{k}: {v:7.1f}" for k, v in figures.items() if k != "cpu"),
          flush=True)
    total = sum(cpu.values())
    print(f"{'':10} CPU ms/mail: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
          + f"; sum {total:.2f}: {os.cpu_count()} cores fill at {os.cpu_count() * 1000 / total:.0f}"
          " mails/s", flush=True)


def compare(kind: str, figures: dict[str, float], baselines: dict[str, float], args) -> None:
    """The ratios to the baselines; then the latency at half the rate just measured, and on
    PostgreSQL two worker processes against the one of the burst."""
    print(f"{kind:10} intake / durable sink: {figures['intake/s'] / baselines['sink']:.2f}"
          f"  end-to-end / tuned chain: {figures['end-to-end/s'] / baselines['chain']:.2f}",
          flush=True)
    half = figures["end-to-end/s"] / 2
    paced = measure(kind, args, rate=half, mails=min(args.mails, int(half * 10)))
    print(f"{kind:10} at half the rate ({half:.0f} mails/s): p50 {paced['p50 ms']:.0f} ms, "
          f"p99 {paced['p99 ms']:.0f} ms", flush=True)
    if kind == "postgresql":
        two = measure(kind, args, workers=2)
        show("pg 2 wkrs", two)
        print(f"postgresql two workers / one: {two['end-to-end/s'] / figures['end-to-end/s']:.2f}"
              f" (on {os.cpu_count()} cores, shared with the benchmark's clients and sink)",
              flush=True)


def measure(kind: str, args, rate: float | None = None, mails: int | None = None,
            workers: int | None = None) -> dict[str, float]:
    global WORKERS
    WORKERS = workers or args.workers
    count = mails or args.mails
    with tempfile.TemporaryDirectory() as home:
        if kind == "sqlite":
            url = f"sqlite:///{home}/bench.sqlite3"
            return run(kind, url, count, args.clients, Path(home), rate)
        with contextlib.ExitStack() as stack:
            admin = os.environ.get("MAILFLOW_TEST_POSTGRES") or \
                stack.enter_context(running_postgres()).admin_url
            url, drop = postgres_database(admin)
            stack.callback(drop)
            return run(kind, url, count, args.clients, Path(home), rate)


if __name__ == "__main__":
    main()
