"""Slack as a `Platform`, over slack_sdk's WebClient (base address from SLACK_API_URL).

Platform ids are `channel:ts`, because a Slack ts is unique only within its channel; the importer and
the live huddle flow use the same form, so a message seen both ways is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient

from bot.platforms.base import Posted
from transcripts.importers.slack_export import message_from_slack, ts_time
from transcripts.message import Author, Message


class SlackPlatform:
    name = "slack"

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        thread_ts = reply_to.rpartition(":")[2] if reply_to else None
        response = self.client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
        where = str(response.get("channel") or channel)
        ts = str(response["ts"])
        return Posted(id=f"{where}:{ts}", created_at=ts_time(ts), raw=dict(response.data))  # type: ignore[arg-type]

    def fetch(self, channel: str, *, since_id: str | None = None) -> Sequence[Message]:
        oldest = since_id.rpartition(":")[2] if since_id else None
        found: list[Message] = []
        cursor = None
        while True:
            page = self.client.conversations_history(channel=channel, oldest=oldest, cursor=cursor, limit=200)
            found.extend(message_from_slack(channel, m) for m in page.get("messages", []) if m.get("ts") != oldest)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return sorted(found, key=lambda m: m.created_at)

    def lookup_authors(self, ids: Sequence[str]) -> Sequence[Author]:
        authors = []
        for user_id in ids:
            user = self.client.users_info(user=user_id).get("user") or {}
            profile = user.get("profile") or {}
            authors.append(
                Author(
                    platform=self.name,
                    id=user_id,
                    handle=user.get("name") or user_id,
                    name=profile.get("real_name") or user.get("real_name"),
                    bio=profile.get("title") or None,
                )
            )
        return authors
