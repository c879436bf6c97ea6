"""The platform-neutral shape of a post, shared by every platform, importer and the capture path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post, as far as the platform told us. `followers` is None when unknown, never 0."""

    platform: str
    id: str
    handle: str
    name: str | None = None
    bio: str | None = None
    followers: int | None = None
    protected: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """One post, reply or thread message from any platform, with its raw payload kept for re-analysis.

    `reply_to`, `quote_of` and `repost_of` are platform ids of other posts; `thread` is the platform's
    conversation/thread root id. `created_at` is always timezone-aware UTC.
    """

    platform: str
    id: str
    channel: str
    author: Author
    text: str
    created_at: datetime
    reply_to: str | None = None
    thread: str | None = None
    quote_of: str | None = None
    repost_of: str | None = None
    is_repost: bool = False
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    raw: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is UTC:
            return
        if self.created_at.tzinfo is None:
            raise ValueError(f"message {self.id}: created_at must be timezone-aware")
        if self.created_at.utcoffset() != UTC.utcoffset(None):
            object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))
