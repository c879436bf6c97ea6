"""The event as JSON for other programs: details, prompts and every message with its author."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from transcripts.exporters.atomic import atomic_writer
from transcripts.snapshot import EventSnapshot

_BATCH = 1000  # messages dumped at a time: the file is written in pieces, never held whole


def _head(snapshot: EventSnapshot) -> dict[str, Any]:
    """Everything but the messages, which come last."""
    return {
        "event": {
            "id": snapshot.id,
            "kind": snapshot.kind,
            "title": snapshot.title,
            "topic": snapshot.topic,
            "hashtag": snapshot.hashtag,
            "channel": snapshot.channel,
            "platforms": snapshot.platforms,
            "host": snapshot.host,
            "starts_at": snapshot.starts_at.isoformat(),
            "ends_at": snapshot.ends_at.isoformat() if snapshot.ends_at else None,
            "timezone": snapshot.timezone,
            "status": snapshot.status,
        },
        "prompts": [
            {
                "kind": p.kind,
                "number": p.number,
                "text": p.text,
                "due_at": p.due_at.isoformat() if p.due_at else None,
                "posted_at": p.posted_at.isoformat() if p.posted_at else None,
                "post_ids": sorted(p.post_ids),
            }
            for p in snapshot.prompts
        ],
        "messages": [],
    }


def _messages(snapshot: EventSnapshot, question_of: Mapping[int, int | None]) -> Iterator[dict[str, Any]]:
    # Each author's object made once and shared by their posts (orjson writes it out at each).
    authors = {i: {"handle": p.handle, "name": p.name, "followers": p.followers} for i, p in snapshot.people.items()}
    for m in snapshot.messages:
        yield {
            "platform": m.platform,
            "id": m.platform_id,
            "author": authors[m.author_id],
            "text": m.text,
            "created_at": m.created_at.isoformat(),
            "question": question_of.get(m.id),
            "reply_to": m.reply_to,
            "quote_of": m.quote_of,
            "repost_of": m.repost_of,
            "is_repost": m.is_repost,
            "mentions": m.mentions,  # tuples, written as arrays
            "hashtags": m.hashtags,
            "urls": m.urls,
        }


def _pieces(snapshot: EventSnapshot, question_of: Mapping[int, int | None]) -> Iterator[bytes]:
    """The bytes orjson's OPT_INDENT_2 gives for the whole document, a batch of messages at a time.

    The head is dumped with no messages (its `"messages": []` is the document's last line but one); each
    batch is dumped as a list on its own and indented one level deeper, which is where the whole
    document's dump puts its elements (JSON strings hold no raw line break, so every line break in a
    dump is one of orjson's own).
    """
    head = orjson.dumps(_head(snapshot), option=orjson.OPT_INDENT_2)
    if not snapshot.messages:
        yield head
        return
    assert head.endswith(b"[]\n}")
    yield head[:-4] + b"[\n"
    rows = _messages(snapshot, question_of)
    separator = b""
    while batch := list(islice(rows, _BATCH)):
        inner = orjson.dumps(batch, option=orjson.OPT_INDENT_2)[2:-2]  # "  {...},\n  {...}" without [ and ]
        yield separator + b"  " + inner.replace(b"\n", b"\n  ")
        separator = b",\n"
    yield b"\n  ]\n}"


def write_json(snapshot: EventSnapshot, path: Path, question_of: Mapping[int, int | None]) -> None:
    """Written a batch of messages at a time into the atomic temporary file."""
    with atomic_writer(path) as fh:
        for piece in _pieces(snapshot, question_of):
            fh.write(piece.decode())
