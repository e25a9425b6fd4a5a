"""Running `python run.py …` as a real process, the way an operator does."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment(now: datetime, **settings: str) -> dict[str, str]:
    """The environment of a process a test starts: its settings, and the test's time (MAILFLOW_NOW), so the
    process never acts on the wall clock while the test's clock stands elsewhere; services run on from the
    moment this environment was made (MAILFLOW_NOW_SINCE), so parts started one after another agree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env.update({f"MAILFLOW_{k.upper()}": v for k, v in settings.items()})
    env["MAILFLOW_NOW"] = now.isoformat()
    env["MAILFLOW_NOW_SINCE"] = datetime.now(timezone.utc).isoformat()
    return env


def start(command: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), command], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """`python run.py ARGS…` to its end, its output as text: a one-shot command as an operator
    types it."""
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Until the server accepts connections; fails at once if the process died instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the process ended with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on {port} within {timeout}s")


def wait_until(condition, timeout: float, what: str) -> None:
    """Poll condition (a cheap query) until it holds, failing with what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
