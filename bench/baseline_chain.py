#!/usr/bin/env python3
"""Baseline 2 for bench/pipeline.py --compare: the whole chain hand-tuned in one process — for each
mail: parse (compat32), a state change, render, build the answer (email.mime), store the mail, the
change and the outbox row in one commit (SQLite WAL, synchronous=FULL), then send it to an SMTP sink
over one kept connection. Prints answers at the sink per second."""
from __future__ import annotations

import argparse
import smtplib
import sqlite3
import sys
import tempfile
import time
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from string import Template

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mails import help_mails  # noqa: E402
from tests.support.sink import SmtpSink  # noqa: E402

ANSWER = Template("Hello $name,\n\nthese are the commands of $programme:\n\n  HELP  this overview\n"
                  "  MENTORS  who mentors\n  PROFILE  your profile\n\n-- \n$programme\n")
SCHEMA = """
CREATE TABLE inbound (id INTEGER PRIMARY KEY, sender TEXT, raw BLOB, state TEXT);
CREATE TABLE person (email TEXT PRIMARY KEY, answers INTEGER);
CREATE TABLE outbound (id INTEGER PRIMARY KEY, recipient TEXT, raw BLOB, state TEXT);
"""


def answer(parsed, sender: str) -> bytes:
    reply = MIMEText(ANSWER.substitute(name=sender, programme="Mentoring"), "plain", "utf-8")
    reply["From"], reply["To"] = "hello@mentoring.test", sender
    reply["Subject"], reply["In-Reply-To"] = "Re: " + parsed["Subject"], parsed["Message-ID"]
    reply["Auto-Submitted"] = "auto-replied"
    return reply.as_bytes()


def chain(db: sqlite3.Connection, smtp: smtplib.SMTP, sender: str, raw: bytes) -> None:
    parsed = BytesParser(policy=compat32).parsebytes(raw)
    if parsed["Subject"].strip().upper() != "HELP":
        return
    out = answer(parsed, sender)
    db.execute("BEGIN")
    db.execute("INSERT INTO inbound (sender, raw, state) VALUES (?, ?, 'done')", (sender, raw))
    db.execute("INSERT INTO person VALUES (?, 1) ON CONFLICT (email) DO UPDATE "
               "SET answers = answers + 1", (sender,))
    row = db.execute("INSERT INTO outbound (recipient, raw, state) VALUES (?, ?, 'pending')",
                     (sender, out)).lastrowid
    db.execute("COMMIT")
    smtp.sendmail("bounces@mentoring.test", [sender], out)
    db.execute("UPDATE outbound SET state = 'sent' WHERE id = ?", (row,))


def measure(count: int) -> tuple[float, float]:
    """Answers at the sink per second, and CPU milliseconds per mail (the sink's included: it runs
    in this process)."""
    mails = help_mails(count)
    with tempfile.TemporaryDirectory() as home, SmtpSink() as sink:
        db = sqlite3.connect(Path(home) / "chain.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        began, began_cpu = time.monotonic(), time.process_time()
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=60) as smtp:
            for sender, _, raw in mails:
                chain(db, smtp, sender, raw)
        sink.wait_for(count, timeout=600)
        rate = count / (time.monotonic() - began)
        return rate, 1000 * (time.process_time() - began_cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000)
    args = parser.parse_args()
    rate, cpu = measure(args.mails)
    print(f"tuned chain: {rate:.0f} answers/s end to end, {cpu:.2f} ms CPU per mail")


if __name__ == "__main__":
    main()
