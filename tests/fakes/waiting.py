"""Waiting on work done by another thread or process: poll until it shows, or fail saying what never came.

Tests never sleep a fixed time: the bot acks first and works after, so they poll for the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str = "the condition", timeout: float = 20.0) -> T:
    """The first truthy value `condition` returns within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)
