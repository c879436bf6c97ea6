"""twarc2 files read as twarc2 wrote them: its recorded query names the chat; X's text shown as posted.

twarc2 (https://twarc-project.readthedocs.io/en/latest/twarc2_en_us/) writes one API response page
per line and adds `__twarc` metadata with the request URL (and so the search query) to each line.
X API v2 escapes `&`, `<`, `>` in `text`, and cuts a retweet's text, whose full original is in
`includes.tweets`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.transcripts.bad_inputs import X_USERS, x_tweet
from transcripts.errors import RecordError
from transcripts.importers import ImportOptions, parse_path

URL = "https://api.twitter.com/2/tweets/search/recent?expansions=author_id&query=%23WeNurses+-is%3Aretweet&max_results=100"


def _tagged(tid: int, *tags: str) -> dict[str, Any]:
    return x_tweet(str(tid), "12", f"post {tid}", tid % 50, entities={"hashtags": [{"tag": t} for t in tags]})


def _jsonl(tmp_path: Path, pages: list[dict[str, Any]], *, end: str = "\n") -> Path:
    path = tmp_path / "search.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in pages) + end, encoding="utf-8")
    return path


def _page(posts: list[dict[str, Any]], url: str | None = URL, **includes: Any) -> dict[str, Any]:
    page: dict[str, Any] = {"data": posts, "includes": {"users": X_USERS, **includes}}
    if url:
        page["__twarc"] = {"url": url, "version": "2.14.0", "retrieved_at": "2024-05-01T20:00:00+00:00"}
    return page


POPULAR = [_tagged(n, "NAACPImageAwards") for n in range(1, 9)]
CHAT = [_tagged(n, "WeNurses") for n in range(9, 11)]


def test_the_recorded_query_names_the_chat_even_when_few_posts_carry_it(tmp_path: Path) -> None:
    (event,) = parse_path(_jsonl(tmp_path, [_page(POPULAR), _page(CHAT)]))
    assert event.hashtag == "#WeNurses" and event.title == "#WeNurses chat 01 May 2024"
    assert {m.channel for m in event.messages} == {"#WeNurses"}


def test_a_query_without_a_hashtag_titles_the_chat_by_the_query(tmp_path: Path) -> None:
    url = URL.replace("%23WeNurses", "nurse+staffing")
    (event,) = parse_path(_jsonl(tmp_path, [_page(CHAT, url=url)]))
    assert event.hashtag is None and event.title == "X search: nurse staffing -is:retweet 01 May 2024"


def test_without_a_query_the_choice_is_said_and_a_tie_is_not_broken_by_spelling(tmp_path: Path) -> None:
    (chosen,) = parse_path(_jsonl(tmp_path, [_page(POPULAR + CHAT, url=None)]))
    assert chosen.hashtag == "#NAACPImageAwards"
    assert chosen.notes == [f"{tmp_path}/search.jsonl: chat hashtag #NAACPImageAwards, the one most posts carry "
                            "(8 of 10); --hashtag overrides"]  # fmt: skip
    tied = [_tagged(1, "Zeta"), _tagged(2, "Zeta"), _tagged(3, "Alpha"), _tagged(4, "Alpha")]
    (event,) = parse_path(_jsonl(tmp_path, [_page(tied, url=None)]))
    assert event.hashtag is None and event.title == "X posts 01 May 2024"
    assert "no single chat hashtag (#Zeta, #Alpha each on 2 posts); give --hashtag" in event.notes[0]
    (given,) = parse_path(_jsonl(tmp_path, [_page(tied, url=None)]), ImportOptions(hashtag="Alpha"))
    assert given.hashtag == "#Alpha" and given.title == "#Alpha chat 01 May 2024" and given.notes == []


def test_x_entities_are_unescaped_once(tmp_path: Path) -> None:
    tweet = x_tweet("1", "11", "Fish &amp; chips &lt;3 &gt; and a literal &amp;amp; #WeNurses", 1)
    (event,) = parse_path(_jsonl(tmp_path, [_page([tweet])]))
    assert event.messages[0].text == "Fish & chips <3 > and a literal &amp; #WeNurses"


def test_a_retweet_keeps_the_full_original_text(tmp_path: Path) -> None:
    full = "A1 asking for help early is the safest thing any of us can do, "
    full += "and the culture must make it easy &amp; usual"
    original = x_tweet("50", "12", full, 1)
    retweet = x_tweet("51", "11", "RT @ann: A1 asking for help early is the safest thing any of us can do, and the…", 2,
                      referenced_tweets=[{"type": "retweeted", "id": "50"}])  # fmt: skip
    (event,) = parse_path(_jsonl(tmp_path, [_page([retweet], tweets=[original])]))
    assert event.messages[0].text == "RT @ann: " + full.replace("&amp;", "&")
    assert event.messages[0].is_repost


def test_a_last_line_cut_mid_write_imports_the_rest_and_says_which_line(tmp_path: Path) -> None:
    pages = [_page(POPULAR[:4]), _page(POPULAR[4:]), _page(CHAT)]
    text = "\n".join(json.dumps(p) for p in pages)
    path = tmp_path / "interrupted.jsonl"
    path.write_text(text[: len(text) - 40], encoding="utf-8")  # the capture stopped mid-line
    (event,) = parse_path(path)
    assert len(event.messages) == 8
    assert event.notes[0] == f"{path}:3: the last line is incomplete (cut off mid-write); imported the lines before it"


def test_a_broken_line_that_is_not_the_last_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(_page(CHAT)) + '\n{"data": [\n' + json.dumps(_page(POPULAR)), encoding="utf-8")
    with pytest.raises(RecordError, match=r"broken\.jsonl:2: not JSON"):
        parse_path(path)
