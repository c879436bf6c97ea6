"""Bluesky with the real atproto client on a local XRPC server: facets, threads, paginated capture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.platforms.bluesky import BlueskyPlatform, hashtag_facets
from config.settings import Settings
from tests.fakes.bluesky_api import did_for, running_fake_bluesky
from transcripts.db import Database
from transcripts.models import Event, MessageRow
from transcripts.store import store_messages


def test_facets_use_utf8_byte_offsets_also_after_an_emoji() -> None:
    text = "Hello 👋 #WeNurses and #SafetyHuddle"
    facets = hashtag_facets(text)
    encoded = text.encode("utf-8")
    assert [encoded[f.index.byte_start : f.index.byte_end].decode() for f in facets] == ["#WeNurses", "#SafetyHuddle"]
    assert facets[0].index.byte_start == len("Hello 👋 ".encode()) == 11  # the emoji is four bytes, one character
    assert [f.features[0].tag for f in facets] == ["WeNurses", "SafetyHuddle"]


def _platform(base_url: str) -> BlueskyPlatform:
    return BlueskyPlatform(
        Settings(
            _env_file=None, BLUESKY_BASE_URL=base_url, BLUESKY_HANDLE="host.bsky.social", BLUESKY_APP_PASSWORD="pw"
        )
    )


def test_post_thread_and_capture_across_cursor_pages(db: Database, tmp_path: Path) -> None:
    with running_fake_bluesky() as fake:
        platform = _platform(fake.base_url)
        welcome = platform.post("Welcome 🎉 to #WeNurses tonight", channel="#WeNurses")
        question = platform.post("Q1 What helps you escalate? #WeNurses", channel="#WeNurses", reply_to=welcome.id)
        created = [body for method, name, body in fake.calls if name == "com.atproto.repo.createRecord"]
        first = created[0]["record"]
        tag = first["facets"][0]
        assert first["text"].encode()[tag["index"]["byteStart"] : tag["index"]["byteEnd"]] == b"#WeNurses"
        assert tag["features"][0]["tag"] == "WeNurses"
        reply = created[1]["record"]["reply"]
        assert reply["parent"]["uri"] == welcome.id and reply["root"]["uri"] == welcome.id
        for n in range(60):  # more than two pages of 25
            did = did_for(100 + n % 7)
            if did not in fake.profiles:
                fake.add_profile(did, f"nurse{n % 7}.bsky.social", followers=20 + n % 7)
            fake.add_tagged(did, f"A1 answer {n} ✨ #WeNurses")
        fake.add_tagged(did_for(100), "unrelated #OtherChat")
        with db.session() as s:
            event = Event(kind="chat", title="t", hashtag="#WeNurses", platforms=["bluesky"],
                          starts_at=datetime.now(UTC), timezone="UTC")  # fmt: skip
            s.add(event)
            s.flush()
            event_id = event.id
        since = datetime.now(UTC) - timedelta(minutes=5)
        first = platform.fetch("#WeNurses", cursor=None, since=since)
        messages = first.messages
        assert len(messages) == 62
        with db.session() as s:
            assert store_messages(s, event_id, messages) == 62
        fake.add_tagged(did_for(100), "A2 late answer #WeNurses")
        later = platform.fetch("#WeNurses", cursor=first.cursor, since=since).messages  # only what is new
        assert [m.text for m in later] == ["A2 late answer #WeNurses"]
        with db.session() as s:
            assert store_messages(s, event_id, [*messages, *later]) == 1
            assert s.scalar(select(func.count()).select_from(MessageRow)) == 63
        searches = [q for method, name, q in fake.calls if name == "app.bsky.feed.searchPosts"]
        assert any("cursor" in q for q in searches)
        by_id = {m.id: m for m in messages}
        assert by_id[question.id].reply_to == welcome.id and by_id[question.id].thread == welcome.id
        sample = next(m for m in messages if m.text.startswith("A1 answer 0 "))
        assert sample.author.followers == 20 and sample.author.bio and sample.hashtags == ("#WeNurses",)
