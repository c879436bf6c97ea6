"""One clock: only the worker holding the leader lock runs the scheduler.

APScheduler 3 must run in exactly one process, or every job would fire once per worker. On
PostgreSQL the lock is a session-level advisory lock held on a connection of its own: if the leader
dies, PostgreSQL drops the connection and the lock with it, and a standby polling
`pg_try_advisory_lock` takes over. On SQLite (one machine by definition) an exclusive `flock` on a
file beside the database does the same. The leader also checks its lock connection regularly and
steps down (exits) if it is lost, so two leaders never overlap.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

LOCK_KEY = 0x6875_6464  # "hudd": the advisory lock id every huddlebot worker contends for
DEFAULT_POLL_SECONDS = 5.0


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLeaderLock:
    """A session advisory lock on a dedicated connection, released by PostgreSQL if we die."""

    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        if not got:
            self._conn.close()
            self._conn = None
        return got

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            row = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objid = :k"
                ),
                {"k": self.key & 0xFFFFFFFF},
            ).scalar()
        except Exception:  # a dropped connection means the lock is gone too
            log.warning("leader lock connection lost")
            return False
        return bool(row)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            finally:
                self._conn.close()
                self._conn = None


class FileLeaderLock:
    """An exclusive flock beside the SQLite file; the kernel releases it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115  (held open for as long as we lead)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def still_held(self) -> bool:
        return self._fh is not None and not self._fh.closed

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def leader_lock_for(engine: Engine) -> LeaderLock:
    """The right lock for the database the workers share."""
    if engine.dialect.name == "postgresql":
        return PostgresLeaderLock(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("a worker needs a file or server database to coordinate on, not an in-memory one")
    return FileLeaderLock(Path(database).with_suffix(".leader.lock"))


def wait_for_leadership(lock: LeaderLock, stop: threading.Event, *, poll_seconds: float = DEFAULT_POLL_SECONDS) -> bool:
    """Block as a standby until the lock is ours (True) or `stop` is set (False)."""
    announced = False
    while not stop.is_set():
        if lock.try_acquire():
            log.info("this worker is now the leader")
            return True
        if not announced:
            log.info("another worker leads; waiting as a standby")
            announced = True
        stop.wait(poll_seconds)
    return False
