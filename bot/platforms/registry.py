"""What a job needs when it runs, set up in one place per process: settings, the database, platforms, retries.

Scheduled jobs are persisted by name and plain ids only (never a database URL, which would pickle its
password into the job store), so at run time they ask here for their `JobContext` rather than reading
the environment themselves. A process installs the context it runs with (the worker from its
settings, the demo with its replaying local platform, a test with its local servers' clients), and
every job of that process shares it: one database, one platform client each (one Bluesky session).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.platforms.base import ChatPlatform
from bot.retry import Backoff, call_with_retries
from config.settings import Settings
from transcripts.db import Database

T = TypeVar("T")


@dataclass
class JobContext:
    settings: Settings
    db: Database
    platforms: dict[str, ChatPlatform]
    backoff: Backoff = field(default_factory=Backoff)

    def platform(self, name: str) -> ChatPlatform:
        platform = self.platforms.get(name)
        if platform is None:
            raise LookupError(f"no {name} platform is set up in this process (missing credentials or settings?)")
        return platform

    def retry(self, call: Callable[[], T], *, what: str) -> T:
        """The one retry policy every platform operation of a job goes through."""
        return call_with_retries(call, what=what, backoff=self.backoff)



_context: JobContext | None = None
_lock = threading.Lock()


def install(
    settings: Settings, platforms: Iterable[ChatPlatform], *, db: Database, backoff: Backoff | None = None
) -> JobContext:
    """Make this the context every job of the process runs with (replacing any earlier one)."""
    global _context
    context = JobContext(settings, db, {p.name: p for p in platforms}, backoff or Backoff())
    with _lock:
        _context = context
    return context


def ensure(settings: Settings, db: Database) -> JobContext:
    """The installed context if it serves `db`, else one for it with no chat platforms (a process that
    only runs huddles, such as a test's scheduler)."""
    with _lock:
        current = _context
    if current is not None and current.db.url == db.url:
        return current
    return install(settings, [], db=db)


def context() -> JobContext:
    with _lock:
        if _context is None:
            raise LookupError("no job context is installed in this process (start it with the worker or demo)")
        return _context


def get(name: str) -> ChatPlatform:
    return context().platform(name)


def clear() -> None:
    global _context
    with _lock:
        _context = None
