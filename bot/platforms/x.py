"""X through tweepy's v2 Client: post (threaded), search recent posts by hashtag, look up authors.

tweepy's Client always calls https://api.twitter.com but sends through a public requests Session, so
`X_API_BASE_URL` is honoured by mounting a transport adapter that rewrites the host (and adds the
timeout tweepy does not set). tweepy logs request headers, the bearer token among them, at DEBUG:
its logger is kept at INFO (in `bot`, with the Slack clients) so no secret reaches a log.

Rate limits are tweepy's to wait out (`wait_on_rate_limit`: it sleeps until `x-rate-limit-reset`);
server errors and dropped connections are raised as `Transient` for the caller's one retry policy.
Search always sends `start_time`: without it (and without `since_id`) X answers seven days of the
hashtag, ending 30 s before now, which both reaches before the chat and hides the newest posts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from bot.platforms.base import Checked, Cursor, Fetched, Posted, SeenWindow
from bot.retry import Duplicate, Transient
from config.settings import Settings
from transcripts.message import Author, Message
from transcripts.x_payload import messages_from_response

NAME = "x"
TWEEPY_HOST = "https://api.twitter.com"
TWEET_FIELDS = ["created_at", "conversation_id", "referenced_tweets", "entities", "author_id"]
USER_FIELDS = ["description", "public_metrics", "protected", "name", "username"]
LOOKUP_BATCH = 100  # GET /2/tweets takes at most 100 ids
SEARCH_HORIZON = timedelta(days=7) - timedelta(minutes=1)  # recent search reaches back seven days


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


def _x_time(moment: datetime) -> str:
    """X's RFC 3339 form, whole seconds (rounded down, so the bound never skips a post)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _page(response: Any) -> dict[str, Any]:
    return {
        "data": [t.data for t in response.data or []],
        "includes": {"users": [u.data for u in (response.includes or {}).get("users", [])]},
    }


class XPlatform:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.client = tweepy.Client(
            bearer_token=_secret(settings.x_bearer_token),
            consumer_key=_secret(settings.x_consumer_key),
            consumer_secret=_secret(settings.x_consumer_secret),
            access_token=_secret(settings.x_access_token),
            access_token_secret=_secret(settings.x_access_token_secret),
            wait_on_rate_limit=True,
        )
        self.client.session.mount(TWEEPY_HOST, _Rebase(settings.x_api_base_url, settings.x_timeout_seconds))
        self._me: str | None = None

    @staticmethod
    def _once(call: Callable[[], Any]) -> Any:
        """One request (tweepy waits out a 429 itself); what is worth retrying is raised as `Transient`."""
        try:
            return call()
        except tweepy.TwitterServerError as exc:
            raise Transient(f"X answered {exc.response.status_code}") from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"X did not answer ({type(exc).__name__})") from exc

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        try:
            response = self._once(
                lambda: self.client.create_tweet(text=text, in_reply_to_tweet_id=reply_to, user_auth=True)
            )
        except tweepy.Forbidden as exc:
            if "duplicate" in str(exc).lower():
                raise Duplicate("X refused the post as a duplicate of one already made") from exc
            raise
        data = response.data or {}
        return Posted(id=str(data["id"]), created_at=datetime.now(UTC), raw=dict(data))

    def _search(self, channel: str, start: datetime) -> tuple[list[Message], int, int]:
        """Every page of a recent search from `start`: (messages, posts read, users read)."""
        found: list[Message] = []
        posts = users = 0
        next_token: str | None = None
        start = max(start, datetime.now(UTC) - SEARCH_HORIZON)
        while True:
            response = self._once(
                lambda token=next_token: self.client.search_recent_tweets(
                    query=channel, start_time=_x_time(start), next_token=token, max_results=100,
                    expansions=["author_id"], tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS, user_auth=False,
                )
            )  # fmt: skip
            page = _page(response)
            posts += len(page["data"])
            users += len(page["includes"]["users"])
            found += messages_from_response(page, channel)
            next_token = (response.meta or {}).get("next_token")
            if not next_token:
                return found, posts, users

    def fetch(self, channel: str, *, cursor: Cursor | None, since: datetime) -> Fetched:
        """Posts with the hashtag from the window's start, not yet seen by `cursor`, oldest first."""
        window = SeenWindow.load(cursor)
        searched_at, bound = datetime.now(UTC), window.bound(since)
        found, posts, users = self._search(channel, bound)
        found = [m for m in found if m.created_at >= since]
        new = window.take([(m.id, m.created_at) for m in found], searched_at, bound)
        unique = {m.id: m for m in found if m.id in new}
        ordered = sorted(unique.values(), key=lambda m: (m.created_at, int(m.id) if m.id.isdigit() else 0))
        return Fetched(ordered, window.dump(), posts_read=posts, users_read=users)

    def own_posts(self, channel: str, *, since: datetime) -> Fetched:
        """The account's own posts since `since`, from its timeline: unlike search, it has no indexing lag."""
        users = 0
        if self._me is None:
            me = self._once(lambda: self.client.get_me(user_auth=True, user_fields=USER_FIELDS))
            self._me, users = str(me.data.id), 1
        response = self._once(
            lambda: self.client.get_users_tweets(
                self._me, start_time=_x_time(since), max_results=100, expansions=["author_id"],
                tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS, user_auth=True,
            )
        )  # fmt: skip
        page = _page(response)
        return Fetched(
            messages_from_response(page, channel), {}, len(page["data"]), users + len(page["includes"]["users"])
        )

    def check_deleted(self, ids: Sequence[str]) -> Checked:
        """Tweet lookup, 100 ids a request: an id X no longer returns was deleted (or made private)."""
        gone: set[str] = set()
        read = 0
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = list(ids[start : start + LOOKUP_BATCH])
            response = self._once(lambda c=chunk: self.client.get_tweets(c, user_auth=False))
            present = {str(t.id) for t in response.data or []}
            read += len(present)
            gone |= set(chunk) - present
        return Checked(frozenset(gone), posts_read=read)

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        if not ids:
            return []
        response = self._once(lambda: self.client.get_users(ids=list(ids), user_fields=USER_FIELDS))
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
