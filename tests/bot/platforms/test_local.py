"""The local platform: threaded posts, capture after an id, and posts typed at a terminal."""

from __future__ import annotations

import io

from bot.platforms.local import LocalPlatform, read_terminal


def test_posts_thread_and_fetch_resumes_after_an_id() -> None:
    local = LocalPlatform("WeHost")
    welcome = local.post("Welcome #WeTest", channel="#WeTest")
    question = local.post("Q1 go #WeTest", channel="#WeTest", reply_to=welcome.id)
    typed = read_terminal(
        local, io.StringIO("A1 from the ward #WeTest\nno hashtag, not a chat post\n\nelsewhere #Other\n"), handle="ann"
    )
    assert typed == 2
    everything = local.fetch("#WeTest")
    assert [m.text for m in everything] == ["Welcome #WeTest", "Q1 go #WeTest", "A1 from the ward #WeTest"]
    assert everything[1].reply_to == welcome.id and everything[1].thread == welcome.id
    assert everything[2].author.handle == "ann" and everything[2].hashtags == ("#WeTest",)
    assert [m.text for m in local.fetch("#WeTest", since_id=question.id)] == ["A1 from the ward #WeTest"]
    assert [m.text for m in local.fetch("#Other")] == ["elsewhere #Other"]
