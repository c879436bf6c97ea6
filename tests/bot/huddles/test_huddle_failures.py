"""A huddle when Slack says no, is slow, or is asked to carry a long summary: the promises that once broke.

The real slack_sdk client talks to the local Slack; the scheduled jobs run as the worker runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from bot.escalation.sbar import raise_escalation
from bot.huddles import flow, sessions
from bot.huddles.definitions import add_definition
from bot.huddles.jobs import open_scheduled_huddle
from bot.platforms import registry
from bot.platforms.slack import MAX_SUMMARY_POSTS, POST_LIMIT, thread_reply
from bot.slack.home import home_view
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.fakes.slack_web import slack_settings
from transcripts.db import Database
from transcripts.models import Event, OutboundPost, Prompt, utcnow


def _ward(**extra: object) -> HuddleDefinition:
    return HuddleDefinition(
        name="Ward 7 safety huddle", channel="CWARD7", days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        time="07:45", prompts=["Incidents", {"text": "Concerns", "concern": True}], window="15m", reminders=["5m"],
        members=["U1", "U2", "U3"], **extra,
    )  # fmt: skip


@contextmanager
def _slack(db: Database, db_url: str, **fake_args: object) -> Iterator[FakeSlack]:
    with running_fake_slack(**fake_args) as fake:
        registry.install(slack_settings(fake, db_url), [], db=db)
        yield fake


def _posts_to(fake: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [p for p in fake.of("chat.postMessage") if p.get("channel") == channel]


def test_a_refused_opening_fails_the_session_with_a_reason_and_the_next_day_runs(db: Database, db_url: str) -> None:
    with _slack(db, db_url, refuse={"CWARD7": "not_in_channel"}) as fake:
        with db.session() as s:
            definition_id = add_definition(s, _ward(owner="UOWNER"))
        event_id = open_scheduled_huddle(definition_id)
        assert event_id is not None
        with db.session() as s:
            event = s.get(Event, event_id)
            assert event is not None and event.status == "failed"
            reason = sessions.failure_reason(s, event_id)
        assert reason is not None and "not_in_channel" in reason and "invite @huddlebot to <#CWARD7>" in reason
        [dm] = _posts_to(fake, "UOWNER")
        assert "could not be opened" in str(dm["text"]) and "invite @huddlebot" in str(dm["text"])
        home = home_view(db, "T0TEAM", single_workspace=True).to_dict()
        assert any("failed: Slack said not_in_channel" in str(b) for b in home["blocks"])

        # Its reminder and close come due: nothing is tried for a session that never opened, then or later.
        calls_before = len(fake.calls)
        tick_at = utcnow() + timedelta(hours=1)
        assert flow.advance(db, lambda _w: slack_for(registry.context().settings), "d", now=tick_at) == 0
        assert len(fake.calls) == calls_before

        # Once invited, the day can be opened again, and tomorrow's opens as usual.
        fake.refuse.clear()
        again = open_scheduled_huddle(definition_id)
        tomorrow = open_scheduled_huddle(definition_id, now=utcnow() + timedelta(days=1))
    assert again is not None and tomorrow is not None and len({event_id, again, tomorrow}) == 3
    assert len([p for p in _posts_to(fake, "CWARD7") if p.get("blocks")]) == 3  # the refused one, then two


def test_slack_outages_and_rate_limits_are_waited_out_and_post_once(db: Database, db_url: str) -> None:
    with _slack(db, db_url, outages=[503, 429, 500]) as fake:
        with db.session() as s:
            definition_id = add_definition(s, _ward())
        event_id = open_scheduled_huddle(definition_id)
    with db.session() as s:
        event = s.get(Event, event_id)
        assert event is not None and event.status == "running"
        assert sessions.opening_ts(s, event.id) is not None
    assert [m for m, _ in fake.calls if m.startswith("chat.postMessage:")] == [
        "chat.postMessage:503",
        "chat.postMessage:429",
        "chat.postMessage:500",
    ]
    assert len([p for p in _posts_to(fake, "CWARD7") if p.get("blocks")]) == 1


def _opened(db: Database) -> tuple[int, str, str]:
    """Today's ward huddle, opened by its scheduled job: (event id, channel, opening ts)."""
    with db.session() as s:
        definition_id = add_definition(s, _ward())
    event_id = open_scheduled_huddle(definition_id)
    assert event_id is not None
    with db.session() as s:
        channel, root = sessions.opening_ts(s, event_id) or ("", "")
    return event_id, channel, root


def test_a_long_summary_is_split_into_posts_slack_accepts_and_the_huddle_closes(db: Database, db_url: str) -> None:
    with _slack(db, db_url) as fake:
        settings = registry.context().settings
        event_id, channel, root = _opened(db)
        for i in range(200):
            text = f"2: concern {i} " + "staffing is short on nights and the agency cannot cover; " * 9
            reply = thread_reply({"channel": channel, "user": f"U{i % 3 + 1}", "text": text,
                                  "ts": f"1900000000.{i:06d}", "thread_ts": root})  # fmt: skip
            assert reply is not None and sessions.record_reply(db, reply)
        with db.session() as s:
            close = s.scalars(select(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "close")).one()
            due = close.due_at
        assert due is not None
        flow.advance(db, lambda _w: slack_for(settings), "https://huddles.example.nhs.uk", now=due)
    with db.session() as s:
        event = s.get(Event, event_id)
        assert event is not None and event.status == "closed"
    summary = [p for p in _posts_to(fake, "CWARD7") if p.get("thread_ts") == root]
    assert len(summary) > 1
    assert all(len(str(p["text"])) <= POST_LIMIT for p in summary)
    assert summary[0].get("reply_broadcast") in (True, "true", "1") and not any(
        p.get("reply_broadcast") for p in summary[1:]
    )
    assert len(summary) == MAX_SUMMARY_POSTS and "concern 0 staffing" in str(summary[0]["text"])
    page = f"https://huddles.example.nhs.uk/events/{event_id}"
    assert summary[-1]["text"] == f"The rest of this summary is on the huddle's page: {page}"


def test_raising_an_escalation_in_the_huddle_counts_as_taking_part(db: Database, db_url: str) -> None:
    with _slack(db, db_url) as fake:
        settings = registry.context().settings
        event_id, channel, root = _opened(db)
        payload = {"channel": channel, "user": "U1", "text": "1: none", "ts": "1900000000.1", "thread_ts": root}
        reply = thread_reply(payload)
        assert reply is not None and sessions.record_reply(db, reply)
        raise_escalation(
            db, slack_for(settings), team_channel="CWARD7", raised_by="U3", level=2,
            sbar={"situation": "Two RNs short tonight", "recommendation": "One RN by 19:00"},
        )  # fmt: skip
        with db.session() as s:
            prompts = {p.kind: p for p in s.scalars(select(Prompt).where(Prompt.event_id == event_id))}
        flow.advance(db, lambda _w: slack_for(settings), "d", now=prompts["reminder"].due_at)
        flow.advance(db, lambda _w: slack_for(settings), "d", now=prompts["close"].due_at)
    reminders = [p for p in _posts_to(fake, "CWARD7") if "a reminder" in str(p.get("text"))]
    assert [str(p["text"]).split(" a reminder")[0] for p in reminders] == ["<@U2>"]
    [summary] = [p for p in _posts_to(fake, "CWARD7") if "Summary of" in str(p.get("text"))]
    assert "*Took part (2):* <@U1>, <@U3>" in str(summary["text"]) and "*Absent (1):* <@U2>" in str(summary["text"])


def test_the_opening_intent_is_recorded_before_slack_is_called(db: Database, db_url: str) -> None:
    with _slack(db, db_url, refuse={"CWARD7": "channel_not_found"}):
        with db.session() as s:
            definition_id = add_definition(s, _ward())
        event_id = open_scheduled_huddle(definition_id)
    with db.session() as s:
        post = s.scalars(select(OutboundPost).join(Prompt).where(Prompt.event_id == event_id)).one()
    assert post.status == "failed" and post.error and "channel_not_found" in post.error
