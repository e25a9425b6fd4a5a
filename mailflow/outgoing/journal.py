"""The dispatcher's local journal of relay acceptances it could not record in the database: one id
per line, fsynced before the dispatcher goes on, applied (and emptied) before anything is leased
again. Without it an outage between the relay's 250 and the commit would send the letter a second
time. Dispatchers sharing one MAILFLOW_HOME share the journal under a file lock."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


class SentJournal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, row_id: int) -> None:
        with self._locked("a") as journal:
            journal.write(f"{row_id}\n")
            journal.flush()
            os.fsync(journal.fileno())

    def pending(self) -> list[int]:
        if not self.path.exists():
            return []
        with self._locked("r") as journal:
            return sorted({int(line) for line in journal.read().split() if line.isdigit()})

    def clear(self, ids: list[int]) -> None:
        """Forget ids (recorded in the database now); ids added meanwhile stay."""
        with self._locked("r+") as journal:
            left = [line for line in journal.read().split()
                    if line.isdigit() and int(line) not in ids]
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
