"""X API v2 JSON and twarc2 JSONL import: authors, references, entities; bad input names its place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import import_path, parse_path
from transcripts.models import Event, MessageRow, Participant, Prompt

USERS = [
    {"id": "1", "username": "host", "name": "The Host", "description": "Nurse educator",
     "public_metrics": {"followers_count": 1200}},
    {"id": "2", "username": "ann", "name": "Ann", "description": "Ward sister; patient safety",
     "public_metrics": {"followers_count": 300}},
    {"id": "3", "username": "bob", "name": "Bob"},
]  # fmt: skip


def _tweet(tid: str, author: str, text: str, minute: int, **extra: Any) -> dict[str, Any]:
    tweet = {"id": tid, "author_id": author, "text": text, "created_at": f"2024-05-01T19:{minute:02d}:00.000Z",
             "conversation_id": extra.pop("conversation_id", tid),
             "entities": {"hashtags": [{"tag": "WeNurses"}]}}  # fmt: skip
    tweet.update(extra)
    return tweet


TWEETS = [
    _tweet("100", "1", "Welcome to #WeNurses!", 0),
    _tweet("101", "1", "Q1: what does escalation mean to you? #WeNurses", 3),
    _tweet("102", "2", "@host A1 asking for help early #WeNurses", 5, conversation_id="101",
           referenced_tweets=[{"type": "replied_to", "id": "101"}],
           entities={"mentions": [{"username": "host"}], "hashtags": [{"tag": "WeNurses"}]}),
    _tweet("103", "3", "RT @ann: A1 asking for help early", 6, referenced_tweets=[{"type": "retweeted", "id": "102"}]),
    _tweet("104", "3", "Agree! https://t.co/x #wenurses", 7, referenced_tweets=[{"type": "quoted", "id": "102"}],
           entities={"hashtags": [{"tag": "wenurses"}], "urls": [{"url": "https://t.co/x",
                                                                  "expanded_url": "https://example.org/a"}]}),
    _tweet("105", "1", "Q2: what gets in the way? #WeNurses", 20),
]  # fmt: skip


def _page(tweets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": tweets, "includes": {"users": USERS}, "meta": {"result_count": len(tweets)}}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_page_maps_authors_references_and_entities(tmp_path: Path) -> None:
    (event,) = parse_path(_write(tmp_path, "page.json", json.dumps(_page(TWEETS))))
    by_id = {m.id: m for m in event.messages}
    assert event.hashtag == "#WeNurses" and event.host == "host"
    assert [(p.number, p.message_id) for p in event.prompts] == [(1, "101"), (2, "105")]
    assert by_id["102"].reply_to == "101" and by_id["102"].mentions == ("host",) and by_id["102"].thread == "101"
    assert by_id["103"].is_repost and by_id["103"].repost_of == "102"
    assert by_id["104"].quote_of == "102" and by_id["104"].urls == ("https://example.org/a",)
    assert by_id["102"].author.bio == "Ward sister; patient safety" and by_id["102"].author.followers == 300
    assert by_id["103"].author.followers is None  # unknown stays unknown, never 0
    assert by_id["100"].created_at.isoformat() == "2024-05-01T19:00:00+00:00"


def test_jsonl_pages_and_flattened_tweets_import_once_on_every_backend(db: Database, tmp_path: Path) -> None:
    pages = "\n".join(json.dumps(_page(TWEETS[i : i + 2])) for i in range(0, len(TWEETS), 2))
    users = {u["id"]: u for u in USERS}
    flat = "\n".join(json.dumps({**t, "author": users[t["author_id"]], "__twarc": {"url": "x"}}) for t in TWEETS)
    [(event_id, new)] = import_path(db, _write(tmp_path, "pages.jsonl", pages))
    [(again, new_again)] = import_path(db, _write(tmp_path, "flat.jsonl", flat))
    assert (new, again, new_again) == (6, event_id, 0)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 6
        assert s.scalar(select(func.count()).select_from(Participant)) == 3
        assert s.scalar(select(func.count()).select_from(Prompt)) == 2


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("empty.json", "", "empty.json: file is empty"),
        ("broken.jsonl", json.dumps(_page(TWEETS)) + "\n{not json\n", "broken.jsonl:2: not JSON"),
        ("nodate.json", json.dumps(_page([{**TWEETS[0], "created_at": None}])),
         "nodate.json: data[0].created_at: missing"),
        ("baddate.jsonl",
         json.dumps(_page(TWEETS[:1])) + "\n" + json.dumps(_page([{**TWEETS[1], "created_at": "2020-13-45"}])),
         "baddate.jsonl:2: data[0].created_at: '2020-13-45' is not a date"),
        ("other.json", json.dumps({"hello": "world"}), "other.json: not X API v2 data"),
        ("noauthor.json", json.dumps(_page([{k: v for k, v in TWEETS[0].items() if k != "author_id"}])),
         "noauthor.json: data[0].author_id: missing"),
    ],
)  # fmt: skip
def test_bad_x_data_names_its_place_and_writes_nothing(
    db: Database, tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(RecordError) as err:
        import_path(db, path)
    assert str(err.value).startswith(f"{tmp_path}/{expected}")
    assert "\n" not in str(err.value)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 0
