"""Huddle definitions: the shipped examples are valid, OPEL is the default scale, and the cron trigger
fires at the local time on the given days across a clock change; skip dates are honoured."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot.huddles.jobs import trigger_for
from bot.huddles.sessions import is_skipped
from config.huddle_definition import HuddleDefinition, load_huddle_definition

HUDDLES = Path(__file__).resolve().parents[2] / "config" / "huddles"


def test_examples_load_and_default_to_opel() -> None:
    ward = load_huddle_definition(HUDDLES / "ward-safety-huddle.yaml")
    assert ward.window == "10m" and [lv.name for lv in ward.escalation_levels] == [
        "OPEL 1",
        "OPEL 2",
        "OPEL 3",
        "OPEL 4",
    ]
    assert [lv.response for lv in ward.escalation_levels] == ["60m", "30m", "15m", "5m"]
    assert [p.concern for p in ward.prompts] == [False, True, True, True, True, False]
    weekly = load_huddle_definition(HUDDLES / "weekly-team-check-in.yaml")
    assert [p.text for p in weekly.prompts][:3] == [
        "Key thoughts from this week",
        "Achievements",
        "Plans for next week",
    ]
    assert len(weekly.escalation_levels) == 3


def test_trigger_follows_local_time_across_the_clock_change() -> None:
    definition = HuddleDefinition(
        name="Ward", channel="C1", days=["sun", "mon"], time="07:45", timezone="Europe/London", prompts=["a"]
    )
    trigger = trigger_for(definition)
    before = trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))  # Saturday, GMT
    after = trigger.get_next_fire_time(None, datetime(2026, 3, 29, 12, 0, tzinfo=UTC))  # Sunday, BST from 01:00
    assert before is not None and before.astimezone(UTC) == datetime(2026, 3, 29, 6, 45, tzinfo=UTC)
    assert after is not None and after.astimezone(UTC) == datetime(2026, 3, 30, 6, 45, tzinfo=UTC)


def test_skip_dates_are_local_dates() -> None:
    definition = HuddleDefinition(
        name="Ward",
        channel="C1",
        days=["fri"],
        time="00:30",
        timezone="Europe/London",
        prompts=["a"],
        skip_dates=[date(2026, 12, 25)],
    )
    assert is_skipped(definition, datetime(2026, 12, 25, 0, 30, tzinfo=UTC))
    assert not is_skipped(definition, datetime(2026, 12, 24, 23, 59, tzinfo=UTC))
