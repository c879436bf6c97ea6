"""Slack workspace exports (a zip, or the folder it unpacks to) as events: one per channel per day.

The export holds `channels.json`, `users.json` and `<channel name>/<YYYY-MM-DD>.json`. Messages keep
Slack's thread structure (`thread_ts`, reply_to as `channel:ts`) so threads spanning days rejoin in
analysis; an edited message arrives with its final text and Slack's `edited` marker, kept in raw.
Channel joins, leaves and topic changes are not conversation and are left out. Platform ids are
`channel:ts`, as in live capture, so importing a channel the bot also watched stores each post once.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent
from transcripts.message import Author, Message

PLATFORM = "slack"
SKIPPED_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "group_join"}
_DAY_FILE = re.compile(r"^(?P<channel>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json$")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


def looks_like(path: Path) -> bool:
    if path.is_dir():
        return (path / "channels.json").is_file() and (path / "users.json").is_file()
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
        return "channels.json" in names and "users.json" in names
    return False


def _files(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield file.relative_to(path).as_posix(), file.read_bytes()
        return
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".json"):
                yield PurePosixPath(name).as_posix(), archive.read(name)


def _json(where: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise RecordError(where, f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise RecordError(f"{where}:{exc.lineno}", f"not valid JSON ({exc.msg})") from None


def ts_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


def message_from_slack(channel: str, payload: dict[str, Any], authors: dict[str, Author] | None = None) -> Message:
    """A Slack message payload (Events API, conversations.history or an export file) as a `Message`."""
    ts = str(payload["ts"])
    thread_ts = payload.get("thread_ts")
    user = payload.get("user") or payload.get("bot_id") or "unknown"
    author = (authors or {}).get(user)
    if author is None:
        profile = payload.get("user_profile") or {}
        author = Author(
            platform=PLATFORM,
            id=user,
            handle=profile.get("name") or user,
            name=profile.get("real_name") or profile.get("display_name") or None,
        )
    text = payload.get("text") or ""
    return Message(
        platform=PLATFORM,
        id=f"{channel}:{ts}",
        channel=channel,
        author=author,
        text=text,
        created_at=ts_time(ts),
        reply_to=f"{channel}:{thread_ts}" if thread_ts and thread_ts != ts else None,
        thread=thread_ts or None,
        mentions=tuple(_MENTION.findall(text)),
        urls=tuple(_LINK.findall(text)),
        raw=payload,
    )


def parse(path: Path) -> list[ImportedEvent]:
    files = dict(_files(path))
    source = str(path)
    channels = _json(f"{source}/channels.json", files["channels.json"])
    users = _json(f"{source}/users.json", files["users.json"])
    if not isinstance(channels, list) or not isinstance(users, list):
        raise RecordError(f"{source}/channels.json", "channels.json and users.json must be JSON lists")
    authors = {}
    for i, user in enumerate(users):
        if not isinstance(user, dict) or "id" not in user:
            raise RecordError(f"{source}/users.json: [{i}]", "a user needs an id")
        profile = user.get("profile") or {}
        authors[user["id"]] = Author(
            platform=PLATFORM,
            id=user["id"],
            handle=user.get("name") or user["id"],
            name=profile.get("real_name") or user.get("real_name") or None,
            bio=profile.get("title") or None,
        )
    by_name = {}
    for i, channel in enumerate(channels):
        if not isinstance(channel, dict) or "id" not in channel or "name" not in channel:
            raise RecordError(f"{source}/channels.json: [{i}]", "a channel needs an id and a name")
        by_name[channel["name"]] = channel
    events = []
    for name, data in files.items():
        m = _DAY_FILE.match(name)
        if not m:
            continue
        channel = by_name.get(m["channel"])
        if channel is None:
            raise RecordError(f"{source}/{name}", f"channel {m['channel']!r} is not in channels.json")
        payloads = _json(f"{source}/{name}", data)
        if not isinstance(payloads, list):
            raise RecordError(f"{source}/{name}", "a day file must be a JSON list of messages")
        messages = []
        for i, payload in enumerate(payloads):
            if not isinstance(payload, dict) or "ts" not in payload:
                raise RecordError(f"{source}/{name}: [{i}]", "a message needs a ts")
            if payload.get("type", "message") != "message" or payload.get("subtype") in SKIPPED_SUBTYPES:
                continue
            messages.append(message_from_slack(channel["id"], payload, authors))
        if not messages:
            continue
        messages.sort(key=lambda msg: msg.created_at)
        day = datetime.strptime(m["day"], "%Y-%m-%d").replace(tzinfo=UTC)
        events.append(
            ImportedEvent(
                kind="chat",
                title=f"#{channel['name']} {m['day']}",
                starts_at=day,
                ends_at=messages[-1].created_at,
                timezone="UTC",
                source=f"{source}/{name}",
                platform=PLATFORM,
                channel=channel["id"],
                topic=((channel.get("purpose") or {}).get("value") or None),
                messages=messages,
            )
        )
    if not events:
        raise RecordError(source, "a Slack export with no messages in any channel")
    return events
