"""Answers are matched by the strongest evidence: stored link, marker, reply or quote, then time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analysis.answers import assign_answers, marker_number
from transcripts.snapshot import EventSnapshot, MessageView, PersonView, PromptView

T0 = datetime(2024, 5, 1, 19, 0, tzinfo=UTC)


def _msg(i: int, minute: int, text: str, **kw: object) -> MessageView:
    base: dict[str, object] = dict(
        id=i, platform="x", platform_id=str(1000 + i), channel="#T", author_id=1, text=text,
        created_at=T0 + timedelta(minutes=minute), reply_to=None, thread=None, quote_of=None, repost_of=None,
        is_repost=False, mentions=(), hashtags=(), urls=(), reply_to_handle=None, edited_at=None, deleted=False,
    )  # fmt: skip
    base.update(kw)
    return MessageView(**base)  # type: ignore[arg-type]


def _snapshot(messages: list[MessageView], explicit: dict[int, tuple[int, str]] | None = None) -> EventSnapshot:
    snap = EventSnapshot(
        id=1, kind="chat", title="t", topic=None, hashtag="#T", channel=None, platforms=["x"], host="host",
        starts_at=T0, ends_at=T0 + timedelta(hours=1), timezone="Europe/London", status="closed",
        workspace=None, page_url=None,
    )  # fmt: skip
    snap.prompts = [
        PromptView(11, "question", 1, "first?", None, T0 + timedelta(minutes=5), frozenset({"q1"})),
        PromptView(12, "question", 2, "second?", None, T0 + timedelta(minutes=20), frozenset({"q2"})),
    ]
    snap.messages = messages
    snap.people = {1: PersonView(1, "x", "1", "someone", None, None, None)}
    snap.explicit_answers = explicit or {}
    return snap


def test_marker_is_found_after_leading_mentions() -> None:
    assert marker_number("@host @other A2 - we use SBAR") == 2
    assert marker_number("A1: define it") == 1
    assert marker_number("Q3. the barriers") == 3
    assert marker_number("I have a #A1 hashtag") is None
    assert marker_number("see https://example.org/a1") is None


def test_evidence_beats_the_window() -> None:
    snap = _snapshot(
        [
            _msg(1, 2, "hello all"),  # before any question: no answer
            _msg(2, 25, "A1 late answer to the first"),  # marker beats the Q2 window
            _msg(3, 26, "@host answering", reply_to="q1"),  # reply to the Q1 post
            _msg(4, 27, "quoting", quote_of="q1"),
            _msg(5, 8, "answering in the first window"),
            _msg(6, 22, "RT @host: second?", is_repost=True),  # reposts answer nothing
            _msg(7, 21, "form answer", platform="slack"),
        ],
        explicit={7: (11, "form")},
    )
    got = {mid: (a.number, a.method) for mid, a in assign_answers(snap).items()}
    assert got == {2: (1, "marker"), 3: (1, "reply"), 4: (1, "quote"), 5: (1, "window"), 7: (1, "form")}


def test_question_posts_are_not_answers() -> None:
    snap = _snapshot([_msg(1, 5, "Q1: first?", platform_id="q1"), _msg(2, 6, "an answer")])
    assert {mid: a.number for mid, a in assign_answers(snap).items()} == {2: 1}
