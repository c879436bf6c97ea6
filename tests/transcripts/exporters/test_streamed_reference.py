"""transcript.md and record.json, written a batch at a time, are byte for byte the documents built whole.

The references are the writers as they were (commit 15b7c63): the Markdown joined from one list of lines
and trimmed with rstrip(), the JSON one orjson dump of the whole document. Random text mixes line breaks,
trailing spaces, Markdown specials and unicode; sections and the message list run over several batches.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from transcripts.exporters.json_export import write_json
from transcripts.exporters.local_clock import LocalClock
from transcripts.exporters.markdown import escape_markdown, write_markdown
from transcripts.snapshot import EventSnapshot, MessageView, PersonView, PromptView

PIECES = [*"ab \n\t*_#<>\\`é😀", "  ", "\n\n", "\u2028", '"', "\r\n"]
POSTS = 5000  # over the writers' batches (2,000 Markdown entries, 1,000 JSON messages)


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))


def _markdown_reference(snapshot: EventSnapshot, question_of: dict[int, int | None]) -> str:
    zone = ZoneInfo(snapshot.timezone)
    start = snapshot.starts_at.astimezone(zone)
    lines = [
        f"# {escape_markdown(snapshot.hashtag or '')} {escape_markdown(snapshot.title)}".strip(),
        "",
        f"{start:%A %d %B %Y, %H:%M} ({snapshot.timezone})"
        + (f" · hosted by @{escape_markdown(snapshot.host)}" if snapshot.host else ""),
        "",
    ]
    if snapshot.topic:
        lines += [escape_markdown(snapshot.topic), ""]
    questions = snapshot.questions
    if questions:
        lines += ["## Questions", ""]
        lines += [f"{q.number}. {escape_markdown(q.text)}" for q in questions]
        lines.append("")
    groups: dict[int | None, list[str]] = {}
    handles = {pid: escape_markdown(p.handle) for pid, p in snapshot.people.items()}
    clock = LocalClock(zone, "%H:%M")
    for m in snapshot.messages:
        entry = f"**@{handles[m.author_id]}** · {clock(m.created_at)} — {escape_markdown(m.text)}"
        groups.setdefault(question_of.get(m.id), []).append(entry)
    titles = {q.number: f"Q{q.number}. {escape_markdown(q.text)}" for q in questions}
    lines.append("## Transcript")
    for number in [None, *sorted(n for n in groups if n is not None)]:
        if number not in groups:
            continue
        lines += ["", f"### {'Before the first question' if number is None else titles.get(number, f'Q{number}')}", ""]
        for entry in groups[number]:
            lines += [entry, ""]
    return "\n".join(lines).rstrip() + "\n"


def _json_reference(snapshot: EventSnapshot, question_of: dict[int, int | None]) -> bytes:
    authors = {i: {"handle": p.handle, "name": p.name, "followers": p.followers} for i, p in snapshot.people.items()}
    document = {
        "event": {
            "id": snapshot.id, "kind": snapshot.kind, "title": snapshot.title, "topic": snapshot.topic,
            "hashtag": snapshot.hashtag, "channel": snapshot.channel, "platforms": snapshot.platforms,
            "host": snapshot.host, "starts_at": snapshot.starts_at.isoformat(),
            "ends_at": snapshot.ends_at.isoformat() if snapshot.ends_at else None, "timezone": snapshot.timezone,
            "status": snapshot.status,
        },
        "prompts": [
            {
                "kind": p.kind, "number": p.number, "text": p.text,
                "due_at": p.due_at.isoformat() if p.due_at else None,
                "posted_at": p.posted_at.isoformat() if p.posted_at else None, "post_ids": sorted(p.post_ids),
            }
            for p in snapshot.prompts
        ],
        "messages": [
            {
                "platform": m.platform, "id": m.platform_id, "author": authors[m.author_id], "text": m.text,
                "created_at": m.created_at.isoformat(), "question": question_of.get(m.id), "reply_to": m.reply_to,
                "quote_of": m.quote_of, "repost_of": m.repost_of, "is_repost": m.is_repost, "mentions": m.mentions,
                "hashtags": m.hashtags, "urls": m.urls,
            }
            for m in snapshot.messages
        ],
    }  # fmt: skip
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


def _snapshot(rng: random.Random, posts: int, last_text: str) -> tuple[EventSnapshot, dict[int, int | None]]:
    people = {i: PersonView(i, "x", str(i), _text(rng), rng.choice([None, _text(rng)]), None, 7) for i in range(30)}
    start = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    messages = [
        MessageView(
            i, "x", str(10**18 + i), None, rng.randrange(30), _text(rng) if i < posts - 1 else last_text,
            start + timedelta(seconds=i), rng.choice([None, str(i)]), None, None, None, rng.random() < 0.1,
            tuple(_text(rng) for _ in range(rng.randint(0, 2))), (), (), None, None, False,
        )
        for i in range(posts)
    ]  # fmt: skip
    prompts = [
        PromptView(100 + n, "question", n, f"Q{n} {_text(rng)}", start, start, frozenset({str(n)})) for n in (1, 2, 12)
    ]
    snapshot = EventSnapshot(
        id=1, kind="chat", title=f"t {_text(rng)}", topic=_text(rng), hashtag="#T_x", channel=None, platforms=["x"],
        host="h*st", starts_at=start, ends_at=None, timezone="Europe/London", status="done", workspace=None,
        page_url=None, prompts=prompts, messages=messages, people=people,
    )  # fmt: skip
    # Mostly one section, so it runs over several batches; a few posts under the others.
    question_of = {m.id: rng.choice([None, 1, 1, 1, 1, 2, 12]) for m in messages}
    if messages:
        question_of[messages[-1].id] = 12  # the last post ends the document: its trailing space is trimmed
    return snapshot, question_of


@pytest.mark.parametrize("last_text", ["ends as it ends", "ends in spaces and breaks  \n \t\n", "", " \n "])
def test_streamed_markdown_and_json_are_the_documents_built_whole(tmp_path: Path, last_text: str) -> None:
    snapshot, question_of = _snapshot(random.Random(16), POSTS, last_text)
    write_markdown(snapshot, tmp_path / "t.md", question_of)
    write_json(snapshot, tmp_path / "t.json", question_of)
    assert (tmp_path / "t.md").read_bytes() == _markdown_reference(snapshot, question_of).encode("utf-8")
    assert (tmp_path / "t.json").read_bytes() == _json_reference(snapshot, question_of)


def test_a_record_without_messages_is_written_the_same(tmp_path: Path) -> None:
    snapshot, question_of = _snapshot(random.Random(3), 0, "")
    write_markdown(snapshot, tmp_path / "t.md", question_of)
    write_json(snapshot, tmp_path / "t.json", question_of)
    assert (tmp_path / "t.md").read_bytes() == _markdown_reference(snapshot, question_of).encode("utf-8")
    assert (tmp_path / "t.json").read_bytes() == _json_reference(snapshot, question_of)
