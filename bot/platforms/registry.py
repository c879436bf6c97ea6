"""What a job needs when it runs, set up in one place per process: settings, platforms, databases, retries.

Scheduled jobs are persisted by name and plain arguments only, so at run time they ask here for their
`JobContext` rather than reading the environment themselves. A process installs the context it runs
with (the worker from its settings, the demo with its replaying local platform, a test with its local
servers' clients), and every job of that process shares it: one platform client (one Bluesky session)
and one `Database` per URL.
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
    platforms: dict[str, ChatPlatform]
    backoff: Backoff = field(default_factory=Backoff)
    _databases: dict[str, Database] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def platform(self, name: str) -> ChatPlatform:
        platform = self.platforms.get(name)
        if platform is None:
            raise LookupError(f"no {name} platform is set up in this process (missing credentials or settings?)")
        return platform

    def database(self, url: str) -> Database:
        """One Database per URL per process: jobs run often and must not re-migrate each time."""
        with self._lock:
            if url not in self._databases:
                self._databases[url] = Database(url, migrate=False)
            return self._databases[url]

    def retry(self, call: Callable[[], T], *, what: str) -> T:
        """The one retry policy every platform operation of a job goes through."""
        return call_with_retries(call, what=what, backoff=self.backoff)

    def close(self) -> None:
        with self._lock:
            for db in self._databases.values():
                db.dispose()
            self._databases.clear()


_context: JobContext | None = None
_lock = threading.Lock()


def install(settings: Settings, platforms: Iterable[ChatPlatform], *, backoff: Backoff | None = None) -> JobContext:
    """Make this the context every job of the process runs with (replacing any earlier one)."""
    global _context
    context = JobContext(settings, {p.name: p for p in platforms}, backoff or Backoff())
    with _lock:
        old, _context = _context, context
    if old is not None:
        old.close()
    return context


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
        old, _context = _context, None
    if old is not None:
        old.close()
