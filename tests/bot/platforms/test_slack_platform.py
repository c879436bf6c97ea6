"""Slack as a Platform over the real WebClient: posts in threads, fetch across cursor pages, author lookup."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.platforms.base import Platform
from bot.platforms.slack import SlackPlatform
from tests.fakes.slack_api import running_fake_slack


def test_post_fetch_and_lookup() -> None:
    history = [
        {"type": "message", "user": "U2", "text": "reply", "ts": "1700000300.000300", "thread_ts": "1700000100.000100"},
        {"type": "message", "user": "U1", "text": "third <@U2>", "ts": "1700000200.000200"},
        {
            "type": "message",
            "user": "U1",
            "text": "second",
            "ts": "1700000100.000100",
            "thread_ts": "1700000100.000100",
        },
        {"type": "message", "user": "U1", "text": "first", "ts": "1700000000.000000"},
    ]
    users = {"U1": {"id": "U1", "name": "sam", "profile": {"real_name": "Sam Ward", "title": "Matron"}}}
    with running_fake_slack(history={"C1": history}, users=users) as fake:
        platform = SlackPlatform(WebClient(token="xoxb-test", base_url=fake.url))
        assert isinstance(platform, Platform)
        posted = platform.post("hello", channel="C1", reply_to="C1:1700000100.000100")
        assert posted.id.startswith("C1:") and fake.of("chat.postMessage")[0]["thread_ts"] == "1700000100.000100"

        first = platform.fetch("C1", cursor={"ts": "1700000000.000000"}, since=datetime(2023, 1, 1, tzinfo=UTC))
        fetched = list(first.messages)
        assert [m.text for m in fetched] == ["second", "third @U2", "reply"]  # as Slack shows it; the mention kept
        assert len(fake.of("conversations.history")) == 2  # two pages
        assert first.cursor == {"ts": "1700000300.000300"} and first.posts_read == 3
        # Deleting what was seen changes nothing: the cursor is a time, not a message Slack must still hold.
        again = platform.fetch("C1", cursor=first.cursor, since=datetime(2023, 1, 1, tzinfo=UTC))
        assert list(again.messages) == [] and again.cursor == first.cursor
        reply = fetched[-1]
        assert reply.id == "C1:1700000300.000300" and reply.reply_to == "C1:1700000100.000100"
        assert fetched[0].reply_to is None and fetched[1].mentions == ("U2",)

        (sam,) = platform.lookup_authors(["U1"])
        assert (sam.handle, sam.name, sam.bio) == ("sam", "Sam Ward", "Matron")
