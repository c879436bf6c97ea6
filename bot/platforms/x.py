"""X through tweepy's v2 Client: post (threaded), search recent posts by hashtag, look up authors.

tweepy's Client always calls https://api.twitter.com but sends through a public requests Session, so
`X_API_BASE_URL` is honoured by mounting a transport adapter that rewrites the host (and adds the
timeout tweepy does not set). tweepy logs request headers, the bearer token among them, at DEBUG:
its logger is kept at INFO (in `bot`, with the Slack clients) so no secret reaches a log.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from bot.platforms.base import Posted
from bot.retry import WRITE_ONCE, Backoff, RateLimited, Transient, call_with_retries
from config.settings import Settings
from transcripts.message import Author, Message
from transcripts.x_payload import messages_from_response

NAME = "x"
TWEEPY_HOST = "https://api.twitter.com"
TWEET_FIELDS = ["created_at", "conversation_id", "referenced_tweets", "entities", "author_id"]
USER_FIELDS = ["description", "public_metrics", "protected", "name", "username"]


class _Rebase(HTTPAdapter):
    """Sends tweepy's api.twitter.com requests to the configured base address, with a timeout."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.url and request.url.startswith(TWEEPY_HOST):
            request.url = self.base_url + request.url[len(TWEEPY_HOST) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


class XPlatform:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.client = tweepy.Client(
            bearer_token=_secret(settings.x_bearer_token),
            consumer_key=_secret(settings.x_consumer_key),
            consumer_secret=_secret(settings.x_consumer_secret),
            access_token=_secret(settings.x_access_token),
            access_token_secret=_secret(settings.x_access_token_secret),
        )
        self.client.session.mount(TWEEPY_HOST, _Rebase(settings.x_api_base_url, settings.x_timeout_seconds))

    def _call(self, what: str, call: Any, backoff: Backoff = Backoff()) -> Any:
        def attempt() -> Any:
            try:
                return call()
            except tweepy.TooManyRequests as exc:
                reset = exc.response.headers.get("x-rate-limit-reset")
                wait = float(reset) - time.time() if reset and reset.isdigit() else 60.0
                raise RateLimited(wait) from exc
            except tweepy.TwitterServerError as exc:
                raise Transient(f"X answered {exc.response.status_code}") from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise Transient(f"X did not answer ({type(exc).__name__})") from exc

        return call_with_retries(attempt, what=what, backoff=backoff)

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        response = self._call(
            "post to X",
            lambda: self.client.create_tweet(text=text, in_reply_to_tweet_id=reply_to, user_auth=True),
            WRITE_ONCE,
        )
        data = response.data or {}
        return Posted(id=str(data["id"]), created_at=datetime.now(UTC), raw=dict(data))

    def fetch(self, channel: str, *, since_id: str | None = None) -> Sequence[Message]:
        """Every post with the hashtag newer than `since_id`, all pages, oldest first."""
        found: dict[str, Message] = {}
        next_token: str | None = None
        while True:
            response = self._call(
                "search X",
                partial(
                    self.client.search_recent_tweets,
                    query=channel,
                    since_id=since_id,
                    next_token=next_token,
                    max_results=100,
                    expansions=["author_id"],
                    tweet_fields=TWEET_FIELDS,
                    user_fields=USER_FIELDS,
                    user_auth=False,
                ),
            )
            page = {
                "data": [t.data for t in response.data or []],
                "includes": {"users": [u.data for u in (response.includes or {}).get("users", [])]},
            }
            for message in messages_from_response(page, channel):
                found.setdefault(message.id, message)
            next_token = (response.meta or {}).get("next_token")
            if not next_token:
                break
        return sorted(found.values(), key=lambda m: (m.created_at, int(m.id) if m.id.isdigit() else 0))

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        if not ids:
            return []
        response = self._call("look up X users", lambda: self.client.get_users(ids=list(ids), user_fields=USER_FIELDS))
        authors = []
        for user in response.data or []:
            u = user.data
            metrics = u.get("public_metrics") or {}
            authors.append(
                Author(
                    platform=NAME, id=str(u["id"]), handle=u["username"], name=u.get("name"),
                    bio=u.get("description"), followers=metrics.get("followers_count"),
                    protected=bool(u.get("protected", False)),
                )
            )  # fmt: skip
        return authors
