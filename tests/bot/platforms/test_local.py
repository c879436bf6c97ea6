"""The local platform: threaded posts, capture resumed from its cursor, and posts typed at a terminal."""

from __future__ import annotations

import io

from bot.platforms.local import LocalPlatform, read_terminal


def test_posts_thread_and_fetch_resumes_from_its_cursor() -> None:
    local = LocalPlatform("WeHost")
    welcome = local.post("Welcome #WeTest", channel="#WeTest")
    local.post("Q1 go #WeTest", channel="#WeTest", reply_to=welcome.id)
    seen = local.fetch("#WeTest", cursor=None).cursor
    typed = read_terminal(
        local, io.StringIO("A1 from the ward #WeTest\nno hashtag, not a chat post\n\nelsewhere #Other\n"), handle="ann"
    )
    assert typed == 2
    everything = local.fetch("#WeTest", cursor=None).messages
    assert [m.text for m in everything] == ["Welcome #WeTest", "Q1 go #WeTest", "A1 from the ward #WeTest"]
    assert everything[1].reply_to == welcome.id and everything[1].thread == welcome.id
    assert everything[2].author.handle == "ann" and everything[2].hashtags == ("#WeTest",)
    assert [m.text for m in local.fetch("#WeTest", cursor=seen).messages] == ["A1 from the ward #WeTest"]
    assert [m.text for m in local.fetch("#Other", cursor=None).messages] == ["elsewhere #Other"]
