"""Retrying calls to a platform: back off on 5xx and dropped connections, wait out a rate limit.

Reads are retried here freely. A post is not: a timeout or a 5xx can come after the platform made
it, so platforms send posts with `WRITE_ONCE` (only a rate limit, which means "not made", is waited
out) and the caller, which knows what it meant to post, checks whether it went out before trying
again. A failure that outlasts the attempts is raised for the caller to report.
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


@dataclass(frozen=True)
class Backoff:
    attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_rate_limit_wait: float = 900.0  # X's windows are 15 minutes

    def delay(self, attempt: int) -> float:
        """Exponential with full jitter, so many workers do not retry in step."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


WRITE_ONCE = Backoff(attempts=1)  # a post: one try, and one more only after a rate limit's wait


def call_with_retries(
    call: Callable[[], T], *, what: str, backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep
) -> T:
    for attempt in range(backoff.attempts):
        try:
            return call()
        except RateLimited as exc:
            wait = min(max(exc.wait_seconds, 0.0), backoff.max_rate_limit_wait)
            log.warning("%s: rate limited, waiting %.1f s", what, wait)
            sleep(wait)
        except Transient as exc:
            if attempt == backoff.attempts - 1:
                raise
            pause = backoff.delay(attempt)
            log.warning("%s: %s; retrying in %.1f s", what, exc, pause)
            sleep(pause)
    return call()  # the last try: its error, if any, is the caller's to report
