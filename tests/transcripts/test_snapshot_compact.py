"""A large event's posts in columns (CompactMessages) behave exactly as the list of MessageView did:
the same posts, equal field by field, in the same order, with the same length, indexing and slicing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import CompactMessages, MessageView, field_of, fields_of, load_event

FIELDS = MessageView.__dataclass_fields__


def _same_as_list(compact: CompactMessages, posts: list[MessageView]) -> None:
    assert len(compact) == len(posts)
    assert list(compact) == posts and compact == posts
    for got, want in zip(compact, posts, strict=True):
        assert type(got) is MessageView
        for name in FIELDS:  # equal, and of the same type (a tz-aware time with the same zone)
            a, b = getattr(got, name), getattr(want, name)
            assert a == b and type(a) is type(b), name
        assert got.created_at.tzinfo == want.created_at.tzinfo
        assert hash(got) == hash(want)
    n = len(posts)
    for i in [0, 1, n // 2, n - 1, -1, -n]:
        assert compact[i] == posts[i]
    for i in [n, -n - 1]:
        with pytest.raises(IndexError):
            compact[i]
    for start, stop, step in itertools.product(
        [None, 0, 1, 3, -2, n, -n - 5], [None, 0, 2, -1, n + 3], [None, 1, 2, -1, -3]
    ):
        cut = slice(start, stop, step)
        assert compact[cut] == posts[cut], cut
        assert type(compact[cut]) is list
    assert list(reversed(compact)) == list(reversed(posts))
    names = ("id", "created_at", "text", "reply_to", "thread", "mentions", "edited_at", "is_repost")
    assert list(fields_of(compact, *names)) == list(fields_of(posts, *names))
    assert list(field_of(compact, "platform_id")) == [m.platform_id for m in posts]
    assert compact.take([0, 1, 5, 6, 30, n - 1]) == [posts[i] for i in [0, 1, 5, 6, 30, n - 1]]


def _post(i: int, **changes: object) -> MessageView:
    values: dict[str, object] = {
        "id": 10_000 + i, "platform": "x", "platform_id": str(1_800_000_000_000_000_000 + i), "channel": "#chat",
        "author_id": i % 300, "text": f"post {i} ✓ 🙂", "created_at": datetime(2024, 5, 1, 19, tzinfo=UTC)
        + timedelta(microseconds=i * 1_234_567), "reply_to": None, "thread": None, "quote_of": None,
        "repost_of": None, "is_repost": i % 10 == 0, "mentions": ("@a",) if i % 3 else (), "hashtags": ("#chat",),
        "urls": (), "reply_to_handle": None, "edited_at": None, "deleted": False,
    }  # fmt: skip
    values.update(changes)
    return MessageView(**values)  # type: ignore[arg-type]


def test_hand_made_posts_of_every_kind_come_back_the_same() -> None:
    odd = {
        3: {"platform_id": "0123", "reply_to": "007"},  # a leading zero: not a plain number
        5: {"thread": "1800000000000000005", "reply_to": "", "quote_of": "at://did:plc:x/app.bsky.feed.post/1"},
        7: {"created_at": datetime(2024, 5, 1, 20, 0, 1)},  # naive
        8: {"created_at": datetime(2024, 5, 1, 21, tzinfo=ZoneInfo("Europe/London"))},
        9: {"created_at": datetime(2024, 5, 1, 21, tzinfo=timezone(timedelta(hours=-3)))},
        11: {"edited_at": datetime(2024, 5, 2, tzinfo=UTC), "deleted": True, "reply_to_handle": "ann"},
        12: {"channel": None, "platform": "slack", "platform_id": "1714590000.000100", "text": ""},
        13: {"text": "a\x00b\n\u2028", "repost_of": "1800000000000000001", "mentions": ("@a", "@b")},
        14: {"platform_id": "9" * 19, "urls": ("https://example.org",)},  # too long for the array of numbers
        15: {"author_id": 10**12, "is_repost": True},
    }
    posts = [_post(i, **odd.get(i, {})) for i in range(700)]  # over 256 authors: the codes widen
    _same_as_list(CompactMessages(posts).done(), posts)


def test_numbers_only_ids_stay_numbers_until_one_is_not() -> None:
    posts = [_post(i, reply_to=str(i) if i % 2 else None) for i in range(50)]
    posts.append(_post(50, reply_to="abc"))
    _same_as_list(CompactMessages(posts), posts)


def test_texts_across_compressed_blocks_come_back_the_same() -> None:
    posts = [_post(i, text="" if i % 97 == 0 else f"{i} " + "long words " * (i % 50)) for i in range(1300)]
    compact = CompactMessages(posts)
    _same_as_list(compact, posts)
    assert compact.take([3, 300, 301, 1299, 1299]) == [posts[i] for i in [3, 300, 301, 1299, 1299]]


def test_an_empty_compact_store_is_an_empty_list() -> None:
    compact = CompactMessages()
    assert len(compact) == 0 and list(compact) == [] and compact[:] == [] and compact == []
    with pytest.raises(IndexError):
        compact[0]


def test_a_large_event_loads_as_compact_posts_equal_to_the_list(db: Database, seed_chat: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as session:
        listed = load_event(session, event_id)
        compact = load_event(session, event_id, compact_over=0)
        newer = load_event(session, event_id, after_id=listed.messages[10].id, compact_over=0)
    assert type(listed.messages) is list and isinstance(compact.messages, CompactMessages)
    assert type(newer.messages) is list  # a live view's newer posts stay a list
    _same_as_list(compact.messages, listed.messages)
    assert compact.people == listed.people and compact.prompts == listed.prompts
    assert compact.deleted_at_times == listed.deleted_at_times
