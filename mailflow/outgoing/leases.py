"""What a dispatcher has leased, noted under MAILFLOW_HOME/leases/ in a file it holds locked while
it lives. A lease lasts minutes (it must outlast the relay's slowest letter), so without the notes
a killed dispatcher's batch would wait that long; a dispatcher sharing the home takes a note whose
lock it can get (nobody living holds it) and gives those rows back to the outbox at once. Notes are
not fsynced: one lost with the machine only means the wait."""
from __future__ import annotations

import fcntl
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Iterator


class LeaseNotes:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd: int | None = None
        self._owner = 0  # the process that holds _fd's lock (not a child it was forked into)

    def note(self, ids: list[int], until: datetime) -> None:
        """This dispatcher's lease now: these rows, leased until then."""
        fd = self._own()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{until.isoformat()}\n{' '.join(map(str, ids))}\n".encode(), 0)

    def forget(self) -> None:
        if self._fd is not None and self._owner == os.getpid():
            os.ftruncate(self._fd, 0)

    def orphans(self) -> Iterator[tuple[list[int], datetime]]:
        """The leases of dispatchers that ended holding them; a note is removed once its rows are
        given back (after the caller's next step), and kept if that fails."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.lease"):
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue  # another dispatcher took it meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # its dispatcher lives (this one's own note among them)
            try:
                lease = _read(fd)
                if lease is not None:
                    yield lease
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def _own(self) -> int:
        if self._fd is None or self._owner != os.getpid():
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{os.getpid()}-{secrets.token_hex(4)}.lease"
            self._fd = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o666)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._owner = os.getpid()
        return self._fd


def _read(fd: int) -> tuple[list[int], datetime] | None:
    """A note's rows and the end of their lease; None for an empty (or half-written) note."""
    lines = os.pread(fd, 1 << 20, 0).decode("ascii", "replace").splitlines()
    if len(lines) != 2:
        return None
    try:
        return [int(word) for word in lines[1].split()], datetime.fromisoformat(lines[0])
    except ValueError:
        return None
