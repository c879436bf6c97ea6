"""The one retry policy for calls to a platform: back off on 5xx and dropped connections, wait out a rate limit.

Platforms make each request once and say what went wrong (`Transient`, `RateLimited`); this policy,
applied once by the caller around a whole operation, is the only place anything is tried again, so
the number of requests a failing endpoint sees is bounded by `Backoff.attempts`. A post is part of
an operation that first looks whether an earlier try went out (see `bot.chats.jobs`), so retrying it
here never posts twice. A failure that outlasts the attempts is raised for the caller to report.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class RateLimited(Exception):
    """The platform said 429; `wait_seconds` is how long it asked us to wait."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"rate limited for {wait_seconds:.0f} s")
        self.wait_seconds = wait_seconds


class Transient(Exception):
    """A 5xx, a timeout or a dropped connection: worth trying again after a pause."""


class Duplicate(Exception):
    """The platform refused a post as a duplicate of one already made: it went out on an earlier try."""


@dataclass(frozen=True)
class Backoff:
    attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_rate_limit_wait: float = 900.0  # X's windows are 15 minutes

    def delay(self, attempt: int) -> float:
        """Exponential with full jitter, so many workers do not retry in step."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


def call_with_retries(
    call: Callable[[], T], *, what: str, backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep
) -> T:
    """`call` at most `backoff.attempts` times, whatever mix of rate limits and server errors it meets."""
    for attempt in range(backoff.attempts):
        last = attempt == backoff.attempts - 1
        try:
            return call()
        except RateLimited as exc:
            if last:
                raise
            wait = min(max(exc.wait_seconds, 0.0), backoff.max_rate_limit_wait)
            log.warning("%s: rate limited, waiting %.1f s", what, wait)
            sleep(wait)
        except Transient as exc:
            if last:
                raise
            pause = backoff.delay(attempt)
            log.warning("%s: %s; retrying in %.1f s", what, exc, pause)
            sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")
