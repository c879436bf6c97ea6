"""The event as JSON for other programs: details, prompts and every message with its author."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from transcripts.exporters.atomic import write_text_atomic
from transcripts.snapshot import EventSnapshot


def record_document(snapshot: EventSnapshot, question_of: Mapping[int, int | None]) -> dict[str, Any]:
    # Each author's object made once and shared by their posts (orjson writes it out at each).
    authors = {i: {"handle": p.handle, "name": p.name, "followers": p.followers} for i, p in snapshot.people.items()}
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
        "messages": [
            {
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
            for m in snapshot.messages
        ],
    }


def write_json(snapshot: EventSnapshot, path: Path, question_of: Mapping[int, int | None]) -> None:
    write_text_atomic(path, orjson.dumps(record_document(snapshot, question_of), option=orjson.OPT_INDENT_2).decode())
