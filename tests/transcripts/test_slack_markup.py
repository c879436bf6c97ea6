"""Slack's stored markup rendered as Slack displays it (https://api.slack.com/reference/surfaces/formatting)."""

from __future__ import annotations

import pytest

from transcripts.slack_markup import render

USERS = {"U123": "Sam Ward", "W9": "Ali"}
CHANNELS = {"C1": "ward-7"}


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("see <https://example.org/a|the log>", "see the log (https://example.org/a)"),
        ("<https://example.org/a>", "https://example.org/a"),
        ("<https://example.org/a|https://example.org/a>", "https://example.org/a"),
        ("<mailto:ward@nhs.example|ward@nhs.example>", "ward@nhs.example"),
        ("thanks <@U123>", "thanks @Sam Ward"),
        ("<@W9> and <@U999|jo>", "@Ali and @jo"),
        ("<@U999>", "@U999"),
        ("in <#C1|ward-7> and <#C1>", "in #ward-7 and #ward-7"),
        ("<#C77|theatres>", "#theatres"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S1|@nurses> please", "@nurses please"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        (":blush: :+1: :thumbsup::skin-tone-3: :tada:", "😊 👍 👍🏼 🎉"),
        (":our-custom-emoji: stays", ":our-custom-emoji: stays"),
        ("a &lt;b&gt; &amp; &amp;lt;", "a <b> & &lt;"),
        ("&lt;@U123&gt; is text", "<@U123> is text"),
        ("10:30 to 11:00: handover", "10:30 to 11:00: handover"),
    ],
)
def test_markup_is_shown_as_slack_shows_it(stored: str, shown: str) -> None:
    assert render(stored, USERS, CHANNELS) == shown
