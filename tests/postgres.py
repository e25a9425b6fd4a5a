"""A throwaway PostgreSQL for tests: `initdb` and `pg_ctl` from the Debian package on a free
loopback port, its data, socket and log in one temp dir, trust auth, so the tests need no database
server set up beforehand. initdb refuses to run as root; then the cluster belongs to the package's
`postgres` user, who owns the temp dir."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .support.ports import free_port

BINARIES = Path("/usr/lib/postgresql")
RUN_AS = "postgres"  # created by the Debian package
START_TIMEOUT = 60
# A throwaway cluster needs no durability; without fsync it starts and copies databases faster.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def postgres_bin() -> Path | None:
    """The bin folder of the newest PostgreSQL from the Debian package, or None."""
    found = [p.parent for p in BINARIES.glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()]
    return max(found, key=lambda path: _version(path.parent.name), default=None)


def _version(name: str) -> int:
    return int(name) if name.isdigit() else 0


def postgres_missing_reason() -> str | None:
    """Why this machine cannot start its own PostgreSQL, or None when it can."""
    if postgres_bin() is None:
        return f"no initdb and pg_ctl under {BINARIES}/*/bin (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root, and there is no {RUN_AS!r} user to run initdb as"
    return None


def _as_owner() -> dict:
    """subprocess options that run a program as the cluster's owner: ourselves, or `postgres`
    when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": RUN_AS, "group": pwd.getpwnam(RUN_AS).pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """A running cluster; `admin_url` reaches its superuser `postgres` (trust auth)."""
    bin: Path
    root: Path
    port: int
    started_in: float = 0.0  # seconds for initdb and start, reported by the test session

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def version(self) -> str:
        return self.bin.parent.name

    @property
    def data(self) -> str:
        return str(self.root / "data")

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / program), *args], cwd=self.root, text=True,
                              capture_output=True, timeout=START_TIMEOUT + 30, **_as_owner())

    def start(self) -> None:
        began = time.monotonic()
        self._check("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                    "--locale=C", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} {SERVER_OPTIONS}"
        self._check("pg_ctl", "start", "-D", self.data, "-l", str(self.root / "log"), "-w",
                    "-t", str(START_TIMEOUT), "-o", options)
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        if not (self.root / "data" / "postmaster.pid").exists():
            return
        if self.run("pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w").returncode != 0:
            self.run("pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w")

    def _check(self, program: str, *args: str) -> None:
        done = self.run(program, *args)
        if done.returncode != 0:
            log = self.root / "log"
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{program} {args[0]} failed with {done.returncode}: "
                               f"{done.stdout}{done.stderr}{server_log}")


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a fresh cluster in a temp dir (owned by the user it runs as) and stop it, removing
    every trace, afterwards."""
    root = Path(tempfile.mkdtemp(prefix="mailflow-postgres-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(RUN_AS)
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(postgres_bin(), root, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
