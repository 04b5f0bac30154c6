"""One bot process per SQLite database (R11): a second one refuses to start, clearly."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url


class AlreadyRunning(Exception):
    """Another process holds the database."""


class ProcessLock:
    """An exclusive, non-blocking file lock beside the SQLite file; released on exit or crash."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.path: Path | None = None
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            self.path = Path(f"{url.database}.lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        if self.path is None:
            return  # PostgreSQL: several processes may run; leases keep work single
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise AlreadyRunning(
                f"another bot process is already running on {self.path.with_suffix('')}; "
                "SQLite allows one process (use PostgreSQL to run several)") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
