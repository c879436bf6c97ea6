"""Small hand-built snapshots, for analysis rules that the seed chat does not exercise."""

from __future__ import annotations

from datetime import UTC, datetime

from transcripts.snapshot import EventSnapshot, MessageView, PersonView


def person(pid: int, handle: str, bio: str | None = None) -> PersonView:
    return PersonView(pid, "x", str(pid), handle, None, bio, None)


def post(mid: int, author: int, text: str, **kw: object) -> MessageView:
    fields: dict[str, object] = dict(
        platform="x", platform_id=f"p{mid}", channel=None, author_id=author, text=text,
        created_at=datetime(2020, 2, 25, 20, mid, tzinfo=UTC), reply_to=None, thread=None, quote_of=None,
        repost_of=None, is_repost=False, mentions=(), hashtags=(), urls=(), reply_to_handle=None,
        edited_at=None, deleted=False,
    )  # fmt: skip
    fields.update(kw)
    return MessageView(id=mid, **fields)  # type: ignore[arg-type]


def snapshot(people: list[PersonView], messages: list[MessageView]) -> EventSnapshot:
    return EventSnapshot(
        id=1, kind="chat", title="t", topic=None, hashtag="#t", channel=None, platforms=["x"], host=None,
        starts_at=datetime(2020, 2, 25, 20, tzinfo=UTC), ends_at=None, timezone="Europe/London", status="done",
        workspace=None, page_url=None, messages=messages, people={p.id: p for p in people},
    )  # fmt: skip
