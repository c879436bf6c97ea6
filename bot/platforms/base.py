"""The one abstraction the rest of the bot knows of any platform.

Capture is resumable through a `Cursor`: a small JSON-able dict each platform makes and reads, and
nobody else looks inside. It means the same everywhere, "what I have already seen", so a restarted
worker resumes where the last poll stopped and a post deleted since then changes nothing (a cursor
never names one post the platform must still hold). The caller stores it beside the record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from transcripts.message import Author, Message

Cursor = dict[str, Any]
_LINK = re.compile(r"https?://\S+")


def comparable_text(text: str) -> str:
    """Text as it can be compared with what a platform stored: X rewrites every link to a t.co link."""
    return _LINK.sub("<link>", text).strip()


@dataclass(frozen=True, slots=True)
class Posted:
    """What a platform says about a post we just made: its id there, when, and the raw answer."""

    id: str
    created_at: datetime
    raw: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """New posts since the cursor, oldest first; the cursor to pass next time; what the platform billed.

    `posts_read` and `users_read` count what the platform returned, re-reads included, because that
    is what a pay-per-use API charges for.
    """

    messages: Sequence[Message]
    cursor: Cursor
    posts_read: int = 0
    users_read: int = 0


@dataclass(frozen=True, slots=True)
class Checked:
    """Of the post ids asked about, the ones the platform no longer has (deleted by their authors)."""

    gone: frozenset[str] = field(default_factory=frozenset)
    posts_read: int = 0


@runtime_checkable
class Platform(Protocol):
    """Post, fetch and look up authors; every payload comes back as a `Message` or `Author`.

    Each method makes its requests once (beyond what the platform's SDK itself waits out, such as a
    rate limit): retrying is the caller's one policy, so nothing is retried in two places.
    """

    name: str

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        """Post `text` to a hashtag stream or channel, optionally as a reply in a thread."""
        ...

    def fetch(self, channel: str, *, cursor: Cursor | None, since: datetime) -> Fetched:
        """Posts on a hashtag or channel not yet seen by `cursor` and made at or after `since`."""
        ...

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        """Profiles (name, bio, followers) for platform user ids."""
        ...


@runtime_checkable
class ChatPlatform(Platform, Protocol):
    """A platform a public chat runs on (X, Bluesky, local): it can also find its own posts and deletions."""

    def own_posts(self, channel: str, *, since: datetime) -> Fetched:
        """The posts this account made on `channel` since `since`, however recent: for "did it go out?"."""
        ...

    def check_deleted(self, ids: Sequence[str]) -> Checked:
        """Which of these stored post ids the platform no longer has."""
        ...


MIN_OVERLAP = timedelta(seconds=30)  # X's search answers only up to 30 s before now unless bounded: its index lags
MAX_OVERLAP = timedelta(minutes=2)
SEEN_MARGIN = timedelta(seconds=2)


@dataclass
class SeenWindow:
    """The cursor of a platform searched by time: the newest post time seen, the ids seen near it, the lag.

    Search indexes lag, so a post can show up after a newer one was already returned. Each search
    therefore starts `overlap` before the newest post seen, and the ids seen inside that overlap are
    remembered so re-read posts are not handed back as new. The overlap is what the measured lag
    needs: twice the longest a post has been seen to arrive late (a post older than the previous
    search that the previous search did not return), between `MIN_OVERLAP` and `MAX_OVERLAP`.
    """

    newest: datetime | None = None
    seen: dict[str, float] = field(default_factory=dict)  # id -> its time (epoch seconds), inside the overlap
    lag_seconds: float = 0.0
    searched_at: datetime | None = None
    searched_from: datetime | None = None  # the bound the last search asked from

    @classmethod
    def load(cls, cursor: Cursor | None) -> SeenWindow:
        if not cursor:
            return cls()

        def when(key: str) -> datetime | None:
            return datetime.fromisoformat(cursor[key]) if cursor.get(key) else None

        return cls(
            newest=when("newest"),
            seen=dict(cursor.get("seen") or {}),
            lag_seconds=float(cursor.get("lag_seconds") or 0.0),
            searched_at=when("searched_at"),
            searched_from=when("searched_from"),
        )

    def dump(self) -> Cursor:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "newest": iso(self.newest),
            "seen": self.seen,
            "lag_seconds": self.lag_seconds,
            "searched_at": iso(self.searched_at),
            "searched_from": iso(self.searched_from),
        }

    @property
    def overlap(self) -> timedelta:
        return min(MAX_OVERLAP, max(MIN_OVERLAP, timedelta(seconds=2 * self.lag_seconds)))

    def bound(self, since: datetime) -> datetime:
        """The earliest time the next search must cover."""
        return since if self.newest is None else max(since, self.newest - self.overlap)

    def take(self, found: Sequence[tuple[str, datetime]], searched_at: datetime, searched_from: datetime) -> set[str]:
        """Record a search's (id, time) pairs, asked from `searched_from` at `searched_at`; returns the new ids.

        A new post is late, and measures the lag, only if the previous search asked for its time and
        did not get it: it was made inside that search's window, before that search began.
        """
        new = {pid for pid, _ in found if pid not in self.seen}
        for pid, when in found:
            late = self.searched_at is not None and self.searched_from is not None
            if pid in new and late and self.searched_from <= when < self.searched_at:  # type: ignore[operator]
                self.lag_seconds = max(self.lag_seconds, (self.searched_at - when).total_seconds())  # type: ignore[operator]
            self.seen[pid] = when.timestamp()
            if self.newest is None or when > self.newest:
                self.newest = when
        self.searched_at, self.searched_from = searched_at, searched_from
        if self.newest is not None:  # kept a little past the next bound: X rounds it down to whole seconds
            keep_from = (self.newest - self.overlap - SEEN_MARGIN).timestamp()
            self.seen = {pid: t for pid, t in self.seen.items() if t >= keep_from}
        return new
