"""What a scheduled job needs when it runs, handed over in one place by the process that runs jobs.

APScheduler persists a job as a function name and plain arguments, so a job cannot be given live
objects; it also must not carry secrets (a database URL with its password would be pickled into the
job store). The worker (or a test, or the demo) installs one `JobContext` before the scheduler starts,
and every job reads its settings and database from it rather than from the environment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from config.settings import Settings
from transcripts.db import Database


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    db: Database


_current: JobContext | None = None
_lock = threading.Lock()


def install(context: JobContext) -> None:
    global _current
    with _lock:
        _current = context


def current() -> JobContext:
    with _lock:
        context = _current
    if context is None:
        raise RuntimeError("no job context: the process running jobs must install one before its scheduler starts")
    return context
