"""The dispatcher's local journal of relay acceptances it could not record in the database: one id
per line, fsynced before the dispatcher goes on, applied (and emptied) before anything is leased
again. Without it an outage between the relay's 250 and the commit would send the letter a second
time. Dispatchers sharing one MAILFLOW_HOME share the journal under a file lock."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


class SentJournal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, row_id: int) -> None:
        with self.appending() as add:
            add(row_id)

    @contextmanager
    def appending(self) -> Iterator[Callable[[int], None]]:
        """One open for a whole batch of acceptances instead of one per letter. Each id is still on
        disk (fdatasync) before add returns. The lock is taken per id, not for the batch, so a
        dispatcher sharing the journal never waits for another one's relay; it keeps an id from
        landing between clear's read and its truncate. clear rewrites the file in place (never a
        new file), so O_APPEND writes always land at the end of the file that others read."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            yield lambda row_id: _append(fd, b"%d\n" % row_id)
        finally:
            os.close(fd)

    def pending(self) -> list[int]:
        if not self.path.exists():
            return []
        with self._locked("r") as journal:
            return sorted({int(line) for line in journal.read().split() if line.isdigit()})

    def clear(self, ids: list[int]) -> None:
        """Forget ids (recorded in the database now); ids added meanwhile stay."""
        forget = set(ids)
        with self._locked("r+") as journal:
            left = [line for line in journal.read().split()
                    if line.isdigit() and int(line) not in forget]
            journal.seek(0)
            journal.truncate()
            journal.write("".join(f"{line}\n" for line in left))
            journal.flush()
            os.fsync(journal.fileno())

    @contextmanager
    def _locked(self, mode: str):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if mode == "r+" and not self.path.exists():
            self.path.touch()
        with open(self.path, mode, encoding="ascii") as journal:
            fcntl.flock(journal, fcntl.LOCK_EX)
            yield journal


def _append(fd: int, line: bytes) -> None:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        if os.write(fd, line) != len(line):  # a full disk: never half an id silently
            raise OSError(f"the sent journal took only part of {line!r}")
        os.fdatasync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
