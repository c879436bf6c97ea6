"""What the live view shows, kept in memory per event and brought up to date incrementally.

A hundred viewers poll `live.json` every couple of seconds. Analysing the whole record for each poll
(or even walking every post) costs far more than the poll, so each event has one feed: the posts as
shown (with the question each belongs under), the running counts, and the newest id folded in. A poll
reads only the feed. At most once per REFRESH_SECONDS a poll starts one background refresh (never
several: single-flight), which asks the database for posts newer than the feed's newest id
(`load_event(after_id=...)`) and folds them in; every CHANGES_SECONDS it also looks for edits and
removals, and those, a changed question, or the event marked revised (an erasure: `Event.revised_at`,
read with every refresh), make the feed be built again from the record.

The question a post belongs under follows the chat page's rules (`analysis.answers.assign_answers`:
an explicit answer, an A/Q marker, a reply or quote, else the question's time window).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from sqlalchemy import func, select

from analysis.activity import local_wall_time
from analysis.answers import Assignment, assign_answers
from analysis.links import post_url
from transcripts.db import Database
from transcripts.models import Event, MessageRow
from transcripts.snapshot import EventSnapshot, load_event

REFRESH_SECONDS = 1.0  # how old a feed may be before a poll asks the record for new posts
CHANGES_SECONDS = 5.0  # how often the record is asked for edits and removals (a scan of the event's rows)
ENDED = frozenset({"closed", "cancelled"})
KEEP_FEEDS = 16
TOP = 5


@dataclass(frozen=True, slots=True)
class Stamp:
    """What a new post does not change: if any of it changes, the feed is built again."""

    removed: int
    edited: datetime | None
    prompts: tuple[Any, ...]
    revised: datetime | None


@dataclass(slots=True)
class Feed:
    event_id: int
    status: str = ""
    stamp: Stamp | None = None
    last_id: int = 0
    posts: list[dict[str, Any]] = field(default_factory=list)  # ascending ids; only appended to, or replaced
    answers: Counter[int] = field(default_factory=Counter)
    authors: Counter[str] = field(default_factory=Counter)  # posts per handle, for the most active
    people: set[int] = field(default_factory=set)  # participant ids, for the contributor count
    questions: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # the counts every poll sends, made once per change
    refreshed: float = float("-inf")
    changes_checked: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ended(self) -> bool:
        return self.status in ENDED


_feeds: LRUCache[tuple[str, int], Feed] = LRUCache(maxsize=KEEP_FEEDS)
_feeds_lock = threading.Lock()


def _prompt_signature(snap: EventSnapshot) -> tuple[Any, ...]:
    return tuple((p.id, p.kind, p.number, p.text, p.due_at, p.posted_at, p.post_ids) for p in snap.prompts)


def _sections(snap: EventSnapshot, assigned: dict[int, Assignment]) -> dict[int, int | None]:
    """Message id -> the question it is shown under: its answer's, else the latest question asked before it."""
    timed = sorted(((q.posted_at or q.due_at), q.number) for q in snap.questions if (q.posted_at or q.due_at))
    starts = [moment for moment, _ in timed]
    out: dict[int, int | None] = {}
    for m in snap.messages:
        a = assigned.get(m.id)
        if a is not None:
            out[m.id] = a.number
        else:
            at = bisect.bisect_right(starts, m.created_at)
            out[m.id] = timed[at - 1][1] if at else None
    return out


def _fold(feed: Feed, snap: EventSnapshot) -> None:
    """Add the snapshot's posts (all newer than the feed's) to the feed, in id order."""
    zone = ZoneInfo(snap.timezone)
    assigned = assign_answers(snap)
    section = _sections(snap, assigned)
    for m in sorted(snap.messages, key=lambda m: m.id):
        if m.id <= feed.last_id:
            continue
        person = snap.author(m)
        feed.posts.append(
            {
                "id": m.id,
                "handle": person.handle,
                "text": m.text,
                "local": local_wall_time(m.created_at, zone).strftime("%H:%M"),
                "question": section[m.id],
                "is_repost": m.is_repost,
                "url": post_url(m.platform, m.platform_id, person.handle),
            }
        )
        feed.authors[person.handle] += 1
        feed.people.add(m.author_id)
        a = assigned.get(m.id)
        if a is not None and a.number is not None:
            feed.answers[a.number] += 1
        feed.last_id = m.id
    feed.questions = [{"number": q.number, "text": q.text} for q in snap.questions]
    _summarise(feed)


def _summarise(feed: Feed) -> None:
    feed.summary = {
        "ended": feed.ended,
        "totals": {"messages": len(feed.posts), "contributors": len(feed.people)},
        "answers": {str(n): c for n, c in feed.answers.items()},
        "top": [{"handle": h, "posts": c} for h, c in _most_active(feed.authors)],
        "questions": feed.questions,
    }


def _rebuild(
    feed: Feed, db: Database, status: str, removed: int, edited: datetime | None, revised: datetime | None
) -> None:
    """Build the feed again from the whole record, then swap it in (readers never see half of it)."""
    with db.session() as session:
        snap = load_event(session, feed.event_id)
    fresh = Feed(feed.event_id)
    _fold(fresh, snap)
    feed.posts, feed.answers, feed.authors = fresh.posts, fresh.answers, fresh.authors
    feed.people, feed.questions, feed.last_id = fresh.people, fresh.questions, fresh.last_id
    feed.stamp = Stamp(removed, edited, _prompt_signature(snap), revised)
    feed.status = status
    _summarise(feed)


def _newest(db: Database, event_id: int) -> tuple[int, str, datetime | None]:
    """The event's newest message id, its status and when it was last revised: cheap, asked every
    REFRESH_SECONDS."""
    with db.session() as session:
        newest = session.scalar(select(func.max(MessageRow.id)).where(MessageRow.event_id == event_id))
        status, revised = session.execute(
            select(Event.status, Event.revised_at).where(Event.id == event_id)
        ).one_or_none() or ("", None)
    return newest or 0, status, revised


def _changes(db: Database, event_id: int) -> tuple[int, datetime | None]:
    """How many of the event's messages were removed, and the last edit: asked every CHANGES_SECONDS."""
    with db.session() as session:
        removed, edited = session.execute(
            select(func.count(MessageRow.deleted_at), func.max(MessageRow.edited_at)).where(
                MessageRow.event_id == event_id
            )
        ).one()
    return removed, edited


def _refresh(feed: Feed, db: Database) -> None:
    stamp = feed.stamp
    newest, status, revised = _newest(db, feed.event_id)
    if stamp is None or revised != stamp.revised or time.monotonic() - feed.changes_checked >= CHANGES_SECONDS:
        removed, edited = _changes(db, feed.event_id)
        feed.changes_checked = time.monotonic()
        if stamp is None or (removed, edited, revised) != (stamp.removed, stamp.edited, stamp.revised):
            _rebuild(feed, db, status, removed, edited, revised)
            return
    if status != feed.status:
        feed.status = status
        _summarise(feed)
    if newest <= feed.last_id:
        return
    with db.session() as session:
        snap = load_event(session, feed.event_id, after_id=feed.last_id)
    if _prompt_signature(snap) != stamp.prompts:  # a question was asked or changed: place everything again
        _rebuild(feed, db, status, stamp.removed, stamp.edited, stamp.revised)
        return
    _fold(feed, snap)


def _refresh_and_release(feed: Feed, db: Database) -> None:
    try:
        _refresh(feed, db)
        feed.refreshed = time.monotonic()
    finally:
        feed.lock.release()


def current_feed(db: Database, event_id: int) -> Feed:
    """The event's feed; if it is older than REFRESH_SECONDS, a refresh is started in the background.

    Only the first request for an event waits (for the feed to be built; others arriving meanwhile
    wait for the same build). After that no poll waits for the record: one refresh at a time runs in
    its own thread, and polls answer from the feed as it stands, at most a second or so old.
    """
    key = (db.url, event_id)
    with _feeds_lock:
        feed = _feeds.get(key)
        if feed is None:
            feed = _feeds[key] = Feed(event_id)
    if time.monotonic() - feed.refreshed < REFRESH_SECONDS:
        return feed
    if feed.stamp is None:
        with feed.lock:
            if feed.stamp is None:
                _refresh(feed, db)
                feed.refreshed = time.monotonic()
        return feed
    if feed.lock.acquire(blocking=False):
        threading.Thread(target=_refresh_and_release, args=(feed, db), daemon=True).start()
    return feed


def _id(post: dict[str, Any]) -> int:
    return post["id"]  # type: ignore[no-any-return]


def _most_active(authors: Counter[str]) -> list[tuple[str, int]]:
    return sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]


def feed_state(feed: Feed, *, after: int = 0, before: int | None = None, limit: int) -> dict[str, Any]:
    """One page of the feed's posts (newer than `after`, or the latest older than `before`) and its counts.

    `last_id` is where the next poll starts; `more` says a poll should follow at once (more newer
    posts than one page), and `earlier` how many posts precede the first one sent.
    """
    posts = feed.posts  # a refresh may append meanwhile: read only the first n, and take last_id from those
    n = len(posts)
    if before is not None:
        end = bisect.bisect_left(posts, before, hi=n, key=_id)
        start = max(0, end - limit)
        batch = posts[start:end]
        more, last_id = False, _id(posts[n - 1]) if n else 0
    else:
        start = bisect.bisect_right(posts, after, hi=n, key=_id)
        batch = posts[start : min(start + limit, n)]
        more = start + limit < n
        last_id = _id(batch[-1]) if batch else after
    return {
        "messages": batch,
        "last_id": last_id,
        "more": more,
        "earlier": start,
        **feed.summary,
    }
