#!/usr/bin/env python3
"""Mutated real mails through the whole pipeline (ingest, worker, outbox) of a throwaway instance
on SQLite: every fixture under tests/fixtures, each bitten, truncated, duplicated in part,
re-encoded or given hostile headers, with its recipient rewritten to one of ours. Prints how many
messages ended in each state, how many crashed the worker (must be 0) and ended failed (must be 0),
and the slowest."""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from mailflow.app import build_app  # noqa: E402
from mailflow.clock import FixedClock  # noqa: E402
from mailflow.config import load_settings  # noqa: E402
from mailflow.ingest import Envelope  # noqa: E402
from mailflow.store.models import InboundMessage  # noqa: E402
from mailflow.tokens import Token  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
HOSTILE_HEADERS = [
    b"From: \"jonas@example.org\"@evil.test\r\n", b"From: a@x.org, b@y.org\r\n",
    b"Content-Type: multipart/mixed; boundary=\"\"\r\n", b"Content-Transfer-Encoding: base64\r\n",
    b"Subject: =?utf-8?b?" + b"A" * 5000 + b"?=\r\n",
    b"Content-Type: text/calendar; method=REPLY\r\n",
    b"Authentication-Results: mentoring.test; dmarc=pass header.from=example.org\r\n",
]


def mutate(raw: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0 and raw:  # bite: flip some bytes
        data = bytearray(raw)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 1:  # truncate anywhere
        return raw[:rng.randrange(len(raw) + 1)]
    if kind == 2 and raw:  # repeat a slice
        start = rng.randrange(len(raw))
        return raw[:start] + raw[start:start + 2000] * rng.randint(2, 50) + raw[start:]
    if kind == 3:  # line ends mixed
        return raw.replace(b"\n", rng.choice([b"\r", b"\r\r\n", b"\n\n"]))
    if kind == 4:  # a hostile header on top
        return rng.choice(HOSTILE_HEADERS) + raw
    return re.sub(rb"(?i)charset=\"?[\w-]+\"?", rng.choice([b"charset=utf-7", b"charset=x-bogus",
                                                            b"charset=utf-16"]), raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fixtures = sorted((ROOT / "tests" / "fixtures").rglob("*.eml"))
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings({"MAILFLOW_HOME": home, "MAILFLOW_DOMAIN": "mentoring.test",
                                  "MAILFLOW_SECRET": "fuzz", "MAILFLOW_AUTO_REPLY_LIMIT": "100000",
                                  "MAILFLOW_COORDINATORS": "coord@example.org"},
                                 toml_path=Path(home) / "none.toml")
        app = build_app(settings, FixedClock(NOW))
        ours = ["hello@mentoring.test", "coordinators@mentoring.test",
                app.signer.address(Token("reply", "apply", 0, 0)),
                app.signer.address(Token("meetings", "meet", 1, 0))]
        for number in range(args.mails):
            raw = mutate(rng.choice(fixtures).read_bytes(), rng)
            raw += f"\r\nX-Fuzz: {number}\r\n".encode()
            app.ingest(raw, Envelope(f"fuzz{number}@example.org", (rng.choice(ours),), "fuzz"))
        crashes, slowest, began = 0, 0.0, time.perf_counter()
        while True:
            started = time.perf_counter()
            try:
                if app.worker.process_batch() is None:
                    break
            except Exception as exc:  # noqa: BLE001 - counting them is the point
                crashes += 1
                print(f"crash: {type(exc).__name__}: {exc}")
            slowest = max(slowest, time.perf_counter() - started)
        app.dispatcher.drain()
        with app.store.reading() as session:
            states = Counter(session.scalars(select(InboundMessage.state)))
        print(f"{args.mails} mutated mails, {sum(states.values())} stored (the rest were copies "
              f"ingest deduplicated), worked in {time.perf_counter() - began:.1f} s: "
              f"{dict(states)}; "
              f"crashes {crashes}, failed {states.get('failed', 0) + states.get('new', 0)}, "
              f"slowest {1000 * slowest:.0f} ms")


if __name__ == "__main__":
    main()
