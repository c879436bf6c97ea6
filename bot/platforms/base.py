"""The one abstraction the rest of the bot knows of any platform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from transcripts.message import Author, Message


@dataclass(frozen=True, slots=True)
class Posted:
    """What a platform says about a post we just made: its id there, when, and the raw answer."""

    id: str
    created_at: datetime
    raw: dict[str, Any] | None = None


@runtime_checkable
class Platform(Protocol):
    """Post, fetch and look up authors; every payload comes back as a `Message` or `Author`."""

    name: str

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        """Post `text` to a hashtag stream or channel, optionally as a reply in a thread."""
        ...

    def fetch(self, channel: str, *, since_id: str | None = None) -> Sequence[Message]:
        """Messages on a hashtag or channel newer than `since_id` (all pages), oldest first."""
        ...

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        """Profiles (name, bio, followers) for platform user ids."""
        ...
