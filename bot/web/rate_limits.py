"""Per-client rate limits on the routes that write or build downloads, with the `limits` library.

A CPD save or download builds a Word document from the whole record; one client asking hundreds a
minute is not a person keeping their log. Limits are per client address (as uvicorn reports it,
behind a trusted proxy from X-Forwarded-For) and per process, in a moving window; over the limit is a
429 with Retry-After. Slack's endpoints are not limited here: Slack signs them and retries on errors.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.asgi_answers import answer
from config.settings import Settings


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    method: str
    path: re.Pattern[str]
    limits: tuple[RateLimitItem, ...]


def rules(settings: Settings) -> tuple[Rule, ...]:
    """The limited routes, with the limits the settings give (CPD_RATE_LIMIT, SIGN_IN_RATE_LIMIT)."""
    return (
        Rule(
            "cpd",
            "POST",
            re.compile(r"^/events/[^/]+/cpd(/open|/download)?$"),
            tuple(parse_many(settings.cpd_rate_limit)),
        ),
        Rule("sign-in", "POST", re.compile(r"^/auth/"), tuple(parse_many(settings.sign_in_rate_limit))),
    )


class RateLimits:
    """Refuses (429) a client's request once it is over a rule's limit; other requests pass untouched."""

    def __init__(self, app: ASGIApp, rules: tuple[Rule, ...]) -> None:
        self.app = app
        self.rules = rules
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = (scope.get("client") or ("unknown", 0))[0]
            for rule in self.rules:
                if scope["method"] != rule.method or not rule.path.match(scope["path"]):
                    continue
                for item in rule.limits:
                    if not self.limiter.hit(item, rule.name, client):
                        reset = self.limiter.get_window_stats(item, rule.name, client).reset_time
                        await _too_many(send, max(1, int(reset - time.time()) + 1))
                        return
        await self.app(scope, receive, send)


async def _too_many(send: Send, retry_after: int) -> None:
    body = json.dumps({"detail": "too many requests from this address; please wait a little"}).encode()
    await answer(send, 429, body, "application/json", (b"retry-after", str(retry_after).encode()))
