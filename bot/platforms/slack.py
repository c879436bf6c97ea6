"""Slack as a `Platform`, and the one adapter huddles and escalations send through.

Everything Slack-shaped lives here: Block Kit from `bot.slack.blocks`, the Web API calls (over
slack_sdk's WebClient, base address from SLACK_API_URL, with its retry handlers for rate limits and
server errors), and turning Slack's payloads into record objects. The huddle and escalation rules
decide what to say; this says it. Platform ids are `channel:ts`, because a Slack ts is unique only
within its channel; the importer uses the same form, so a message seen both ways is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.platforms.base import Cursor, Fetched, Posted
from bot.slack import blocks
from transcripts.message import Author, Message
from transcripts.slack_payload import slack_message, ts_time

if TYPE_CHECKING:  # what the huddle rules hand over to be laid out; the adapter never computes them
    from bot.huddles.safety import HarmTally, OpenAction
    from bot.huddles.summary import HuddleSummary

NAME = "slack"
# Slack shows about 4,000 characters of a message before "see more" and refuses past 40,000; a summary
# is split into posts of this size, and past MAX_SUMMARY_POSTS the rest is on the huddle's web page.
POST_LIMIT = 3500
MAX_SUMMARY_POSTS = 8
RETRIES = 4


def retry_handlers() -> list[RetryHandler]:
    """One layer of retries for every Slack call: rate limits waited out, dropped connections and 5xx retried.

    slack_sdk counts attempts across its handlers, so RETRIES bounds a call's retries whatever mix of
    failures it meets.
    """
    return [
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=RETRIES),
        ServerErrorRetryHandler(max_retry_count=RETRIES),
    ]


class SlackPlatform:
    name = NAME

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._me: str | None = None

    # The Platform protocol -------------------------------------------------------------------------

    def post(self, text: str, *, channel: str, reply_to: str | None = None) -> Posted:
        thread_ts = reply_to.rpartition(":")[2] if reply_to else None
        response = self.client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
        where = str(response.get("channel") or channel)
        ts = str(response["ts"])
        return Posted(id=f"{where}:{ts}", created_at=ts_time(ts), raw=dict(response.data))  # type: ignore[arg-type]

    def fetch(self, channel: str, *, cursor: Cursor | None, since: datetime) -> Fetched:
        """Messages after the newest ts already seen (`cursor`), or from `since`; Slack's ts are exact and
        its history has no indexing lag, so "what I have seen" is one ts that a deletion cannot move."""
        oldest = str((cursor or {}).get("ts") or f"{since.timestamp():.6f}")
        found: list[Message] = []
        page_cursor = None
        while True:
            page = self.client.conversations_history(channel=channel, oldest=oldest, cursor=page_cursor, limit=200)
            found.extend(slack_message(channel, m) for m in page.get("messages", []) if m.get("ts") != oldest)
            page_cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page_cursor:
                break
        found.sort(key=lambda m: m.created_at)
        newest = max([oldest, *(m.id.rpartition(":")[2] for m in found)], key=float)
        return Fetched(found, {"ts": newest}, posts_read=len(found))

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

    # Sending -----------------------------------------------------------------------------------------

    def say(self, channel: str, text: str, *, thread_ts: str | None = None, broadcast: bool = False) -> tuple[str, str]:
        """A plain message; returns (channel, ts) as Slack gave them (a DM's channel differs from the user id)."""
        response = self.client.chat_postMessage(
            channel=channel, text=text, thread_ts=thread_ts, reply_broadcast=broadcast or None
        )
        return str(response.get("channel") or channel), str(response["ts"])

    def post_blocks(self, channel: str, text: str, content: Sequence[Block]) -> tuple[str, str]:
        response = self.client.chat_postMessage(channel=channel, text=text, blocks=list(content))
        return str(response.get("channel") or channel), str(response["ts"])

    def update_blocks(self, channel: str, ts: str, text: str, content: Sequence[Block]) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=list(content))

    def warn_privately(self, channel: str, user: str, thread_ts: str | None, reason: str, message_id: str) -> None:
        """An ephemeral message only `user` sees, in the thread they wrote in."""
        self.client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, text=reason,
            blocks=blocks.withheld_warning(reason, message_id),
        )  # fmt: skip

    def open_view(self, trigger_id: str, view: View) -> None:
        self.client.views_open(trigger_id=trigger_id, view=view)

    def publish_home(self, user: str, view: View) -> None:
        self.client.views_publish(user_id=user, view=view)

    def post_huddle_opening(
        self,
        channel: str,
        title: str,
        prompts: Sequence[str],
        event_id: int,
        closes: str,
        level: str,
        follow_up: Sequence[OpenAction] = (),
        harm: Sequence[HarmTally] = (),
    ) -> tuple[str, str]:
        text = f"{title}: {len(prompts)} questions, closes {closes}. {blocks.NO_PATIENT_DATA}"
        content = blocks.huddle_opening(title, prompts, event_id, closes, level, follow_up, harm)
        return self.post_blocks(channel, text, content)

    def remind(self, channel: str, thread_ts: str, users: Sequence[str], closes: str, *, by_dm: bool) -> None:
        if not users:
            return
        if by_dm:
            for user in users:
                self.say(user, f"A reminder: the huddle in <#{channel}> closes at {closes}. Your answers help.")
        else:
            mentions = " ".join(f"<@{u}>" for u in users)
            self.say(channel, f"{mentions} a reminder: this huddle closes at {closes}.", thread_ts=thread_ts)

    def post_summary(self, channel: str, thread_ts: str, summary: HuddleSummary, more_url: str) -> int:
        """The summary in the thread, its first post also in the channel; returns how many posts it took."""
        posts = split_posts(summary_lines(summary), more_url)
        for i, text in enumerate(posts):
            self.say(channel, text, thread_ts=thread_ts, broadcast=i == 0)
        return len(posts)

    def user_group_members(self, group: str) -> list[str]:
        return [str(u) for u in self.client.usergroups_users_list(usergroup=group).get("users", [])]

    def channel_members(self, channel: str) -> list[str]:
        """The channel's members, the bot excluded."""
        if self._me is None:
            self._me = str(self.client.auth_test().get("user_id"))
        members: list[str] = []
        cursor = None
        while True:
            page = self.client.conversations_members(channel=channel, cursor=cursor, limit=200)
            members.extend(m for m in page.get("members", []) if m != self._me)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members


# Slack payloads as record objects ----------------------------------------------------------------------


def thread_reply(payload: dict[str, Any]) -> Message | None:
    """A `message` event that is a person's reply in a thread, as a `Message`; None for anything else."""
    channel, ts, thread_ts = payload.get("channel"), payload.get("ts"), payload.get("thread_ts")
    if not (channel and ts and thread_ts and payload.get("user")) or ts == thread_ts or payload.get("bot_id"):
        return None
    return slack_message(str(channel), payload)


def edited(channel: str, changed: dict[str, Any]) -> tuple[str, str, datetime]:
    """A `message_changed` event's (message id, new text, when edited)."""
    edit_ts = (changed.get("edited") or {}).get("ts") or changed.get("ts")
    return f"{channel}:{changed.get('ts')}", changed.get("text") or "", ts_time(str(edit_ts))


def form_answers(view: dict[str, Any], user: str, channel: str, now: datetime) -> list[tuple[int, Message]]:
    """The answer modal's filled fields as (question number, message), one message per field."""
    answers = []
    for block_id, actions in (view.get("state", {}).get("values", {}) or {}).items():
        text = ((actions.get("answer") or {}).get("value") or "").strip()
        if not text or not block_id.startswith("p") or not block_id[1:].isdigit():
            continue
        message = Message(
            platform=NAME,
            id=f"{view['id']}:{block_id}",
            channel=channel,
            author=Author(platform=NAME, id=user, handle=user),
            text=text,
            created_at=now,
            raw={"view_id": view["id"], "block_id": block_id, "user": user, "values": {block_id: actions}},
        )
        answers.append((int(block_id[1:]), message))
    return answers


# Laying out a summary ------------------------------------------------------------------------------------


def summary_lines(summary: HuddleSummary) -> list[str]:
    esc = blocks.escape
    lines = [
        f"*Summary of {esc(summary.title)}*",
        f"*Took part ({len(summary.took_part)}):* " + (_people(summary.took_part) or "nobody"),
        f"*Escalation level:* {esc(summary.level)}",
    ]
    for q in summary.questions:
        lines.append(f"*{q.number}. {esc(q.text)}*")
        lines.extend([f"  - <@{user}>: {esc(text)}" for user, text in q.answers] or ["  _no answers_"])
    lines.append(f"*Concerns flagged ({len(summary.concerns)}):*")
    lines.extend([f"- ({n}) <@{user}>: {esc(text)}" for n, user, text in summary.concerns] or ["  none"])
    lines.append(f"*Escalations raised ({len(summary.escalations)}):*")
    lines.extend(
        [f"- #{e.id} level {e.level} by <@{e.raised_by}> ({e.status}): {esc(e.summary)}" for e in summary.escalations]
        or ["  none"]
    )
    if summary.expected:
        lines.append(f"*Absent ({len(summary.absent)}):* " + (_people(summary.absent) or "nobody"))
    return lines


def split_posts(lines: list[str], more_url: str) -> list[str]:
    """Lines packed into posts under POST_LIMIT; past MAX_SUMMARY_POSTS, a pointer to the rest."""
    posts: list[str] = []
    current = ""
    for line in lines:
        line = blocks.fit(line, POST_LIMIT)
        if current and len(current) + 1 + len(line) > POST_LIMIT:
            posts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        posts.append(current)
    if len(posts) > MAX_SUMMARY_POSTS:
        posts = [*posts[: MAX_SUMMARY_POSTS - 1], f"The rest of this summary is on the huddle's page: {more_url}"]
    return posts


def _people(users: Sequence[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)
