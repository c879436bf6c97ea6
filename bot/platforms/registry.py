"""Which Platform object serves each platform name in this process.

Scheduled jobs are persisted by name and arguments only, so at run time they ask here for the
platform. A process registers the instances it runs with (the worker from settings, the demo its
replaying local platform, a test its local servers' clients).
"""

from __future__ import annotations

import threading

from bot.platforms.base import Platform

_platforms: dict[str, Platform] = {}
_lock = threading.Lock()


def register(platform: Platform) -> None:
    with _lock:
        _platforms[platform.name] = platform


def get(name: str) -> Platform:
    with _lock:
        platform = _platforms.get(name)
    if platform is None:
        raise LookupError(f"no {name} platform is set up in this process (missing credentials or settings?)")
    return platform


def clear() -> None:
    with _lock:
        _platforms.clear()
