"""A Slack message payload as a record `Message`: one mapping, for live capture and for exports alike.

Events API payloads, `conversations.history` pages and export day files carry the same message shape,
so the Slack adapter and the export importer both come here. The author is where Slack puts them (a
`file_comment` keeps them under `comment`), the text is rendered as Slack shows it, and a handle that
is only a user id never stands in for a better one. What is not conversation — system lines,
tombstones, bots, shares without a comment — is told apart here too, so nothing else guesses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from transcripts.message import Author, Message
from transcripts.slack_markup import render

PLATFORM = "slack"
SYSTEM_SUBTYPES = frozenset({
    "channel_join", "channel_leave", "channel_archive", "channel_unarchive", "channel_topic", "channel_purpose",
    "channel_name", "channel_convert_to_private", "channel_convert_to_public", "group_join", "group_leave",
    "group_archive", "group_unarchive", "group_topic", "group_purpose", "group_name", "bot_add", "bot_remove",
    "bot_enable", "bot_disable", "pinned_item", "unpinned_item", "reminder_add", "reminder_delete",
    "sh_room_created", "sh_room_shared", "joiner_notification", "joiner_notification_for_inviter",
    "message_changed", "message_deleted", "message_replied", "tombstone", "bot_message", "slackbot_response",
    "app_conversation_leave", "huddle_thread", "channel_posting_permissions", "ekm_access_denied",
})  # fmt: skip
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


def ts_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


def is_bot(payload: dict[str, Any]) -> bool:
    """Posted by a bot or integration, or by Slackbot: not a person taking part."""
    user = payload.get("user")
    if payload.get("subtype") == "bot_message" or (payload.get("bot_id") and not user):
        return True
    return isinstance(user, str) and (user.startswith("B") or user == "USLACKBOT")


def is_conversation(payload: dict[str, Any]) -> bool:
    """Whether a message is something a person said: not a system line, a tombstone, a bot or an empty share."""
    if payload.get("type", "message") != "message" or payload.get("subtype") in SYSTEM_SUBTYPES:
        return False
    if payload.get("hidden") or is_bot(payload):
        return False
    return bool(said(payload)[1].strip())


def said(payload: dict[str, Any]) -> tuple[Any, str]:
    """(author id, text): a `file_comment` keeps both under `comment`, as old exports wrote it."""
    if payload.get("subtype") == "file_comment" and isinstance(payload.get("comment"), dict):
        comment = payload["comment"]
        return comment.get("user") or payload.get("user"), comment.get("comment") or ""
    text = payload.get("text")
    return payload.get("user"), text if isinstance(text, str) else ""




def slack_message(
    channel: str,
    payload: dict[str, Any],
    *,
    ts: str | None = None,
    moment: datetime | None = None,
    authors: Mapping[str, Author] | None = None,
    user_names: Mapping[str, str] | None = None,
    channel_names: Mapping[str, str] | None = None,
) -> Message:
    """A message payload as a `Message`: its author where Slack put them, its text as Slack shows it.

    `ts`/`moment` are the checked timestamp and instant when the caller validated them (an export);
    `authors` and the name maps are what the caller knows of the workspace's people and channels.
    """
    ts = ts or str(payload["ts"])
    user, text = said(payload)
    user = user if isinstance(user, str) and user else (payload.get("bot_id") or "unknown")
    author = (authors or {}).get(user)
    if author is None:
        profile = payload.get("user_profile") if isinstance(payload.get("user_profile"), dict) else {}
        handle = profile.get("name") if isinstance(profile.get("name"), str) and profile.get("name") else user
        name = profile.get("display_name") or profile.get("real_name") or None
        author = Author(platform=PLATFORM, id=user, handle=handle, name=name if isinstance(name, str) else None)
    thread_ts = payload.get("thread_ts")
    thread = str(thread_ts) if thread_ts else None
    return Message(
        platform=PLATFORM,
        id=f"{channel}:{ts}",
        channel=channel,
        author=author,
        text=render(text, user_names, channel_names),
        created_at=moment or ts_time(ts),
        reply_to=f"{channel}:{thread}" if thread and thread != ts else None,
        thread=thread,
        mentions=tuple(_MENTION.findall(text)),
        urls=tuple(_LINK.findall(text)),
        raw=payload,
    )
