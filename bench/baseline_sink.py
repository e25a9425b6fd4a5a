#!/usr/bin/env python3
"""Baseline 1 for bench/pipeline.py --compare: the fastest durable intake an afternoon gives — a
bare aiosmtpd server that commits each message to SQLite (WAL, synchronous=FULL) before its 250.
Prints the 250s per second for N mails from C concurrent smtplib clients."""
from __future__ import annotations

import argparse
import smtplib
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mails import help_mails  # noqa: E402
from tests.support.ports import free_port  # noqa: E402


class DurableSink:
    """Each DATA: one INSERT and one COMMIT (an fsync), then 250; the connection is shared under a
    lock, as one SQLite writer must be."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE inbound (id INTEGER PRIMARY KEY, sender TEXT, raw BLOB)")
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO inbound (sender, raw) VALUES (?, ?)",
                            (envelope.mail_from, envelope.original_content))
            self.db.execute("COMMIT")
        return "250 OK"


def send_all(port: int, count: int, clients: int) -> float:
    """Seconds for count mails from clients concurrent connections."""
    batches = [help_mails(count // clients, prefix=f"c{n}-") for n in range(clients)]

    def client(batch) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for sender, _, raw in batch:
                smtp.sendmail(sender, ["hello@mentoring.test"], raw)
    threads = [threading.Thread(target=client, args=(batch,)) for batch in batches]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - began


def measure(count: int, clients: int) -> float:
    """Intake (250s per second) of the durable sink."""
    with tempfile.TemporaryDirectory() as home:
        port = free_port()
        controller = Controller(DurableSink(Path(home) / "sink.sqlite3"), hostname="127.0.0.1",
                                port=port)
        controller.start()
        try:
            return count / send_all(port, count, clients)
        finally:
            controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(f"durable sink: {measure(args.mails, args.clients):.0f} mails/s intake")


if __name__ == "__main__":
    main()
