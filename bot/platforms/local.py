"""The embedded local platform: a chat with no accounts, and the one the demo replays the seed through.

Not a mock: it keeps an ordered log of posts, gives each an id, threads replies, answers `fetch` from
the position its cursor holds (how much of the log was already seen), and tells the console what is
posted. Inbound posts come from a replay of
a transcript (`feed`) or from a person at the terminal. Its clock can run faster than real time, so
an hour's chat can be replayed in seconds with every post keeping its place in the hour.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from rich.console import Console

from bot.platforms.base import Checked, Cursor, Fetched, Posted
from transcripts.message import Author, Message

NAME = "local"


class LocalPlatform:
    name = NAME

    def __init__(
        self,
        host: str,
        *,
        clock: Callable[[], datetime] | None = None,
        console: Console | None = None,
    ) -> None:
        self.host = Author(platform=NAME, id=host.lower(), handle=host)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.console = console
        self._log: list[Message] = []
        self._position: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _append(self, message: Message) -> None:
        with self._lock:
            if message.id in self._position:
                return
            self._position[message.id] = len(self._log)
            self._log.append(message)

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        now = self.clock()
        post_id = f"local-{next(self._ids):06d}"
        with self._lock:
            parent = self._log[self._position[reply_to]] if reply_to in self._position else None
        thread = (parent.thread or parent.id) if parent else post_id
        self._append(
            Message(
                platform=NAME, id=post_id, channel=channel, author=self.host, text=text, created_at=now,
                reply_to=reply_to, thread=thread, hashtags=(channel,) if channel.startswith("#") else (),
                raw={"source": "local", "posted_by": "huddlebot"},
            )
        )  # fmt: skip
        if self.console is not None:
            self.console.print(f"[bold]@{self.host.handle}[/bold] {now:%H:%M}  {text}", markup=True, highlight=False)
        return Posted(id=post_id, created_at=now, raw={"id": post_id})

    def feed(self, message: Message) -> None:
        """An inbound post (a replayed transcript entry, or one typed at the terminal)."""
        self._append(message)

    def fetch(self, channel: str, *, cursor: Cursor | None = None, since: datetime | None = None) -> Fetched:
        """Posts on `channel` after the log position in `cursor`, made at or after `since`."""
        with self._lock:
            start = int((cursor or {}).get("position", 0))
            found = [m for m in self._log[start:] if m.channel == channel and (since is None or m.created_at >= since)]
            return Fetched(found, {"position": len(self._log)}, posts_read=len(found))

    def own_posts(self, channel: str, *, since: datetime) -> Fetched:
        with self._lock:
            own = [m for m in self._log if m.channel == channel and m.author == self.host and m.created_at >= since]
        return Fetched(own, {}, posts_read=len(own))

    def check_deleted(self, ids: Sequence[str]) -> Checked:
        return Checked()  # nothing is ever taken out of the log

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        with self._lock:
            known = {m.author.id: m.author for m in self._log}
        return [known[i] for i in ids if i in known]


_HASHTAG = re.compile(r"(?<![\w#])#\w+")


def read_terminal(platform: LocalPlatform, lines: Iterable[str], *, handle: str) -> int:
    """Feed posts typed at the terminal, one a line, until the input ends; returns how many were taken.

    As on X, a post joins a chat by carrying its hashtag: the first #hashtag in a line is its channel,
    and a line without one is not part of any chat (so it is left out rather than guessed).
    """
    author = Author(platform=NAME, id=handle.lower(), handle=handle)
    taken = 0
    for line in lines:
        text = line.strip()
        tag = _HASHTAG.search(text)
        if not text or tag is None:
            continue
        post_id = f"local-typed-{time.time_ns()}"  # unique across restarts, unlike the counter
        platform.feed(
            Message(
                platform=NAME, id=post_id, channel=tag.group(0), author=author, text=text,
                created_at=platform.clock(), thread=post_id, hashtags=tuple(_HASHTAG.findall(text)),
                raw={"source": "terminal"},
            )
        )  # fmt: skip
        taken += 1
    return taken
