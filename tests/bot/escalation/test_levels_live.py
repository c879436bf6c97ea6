"""Levels that are live: "not set" is said, not defaulted; a level past its review period is out of date and
the huddle asks for it; declaring a level records the actions it commits the team to."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from bot.escalation.levels import set_level
from bot.huddles import flow
from bot.huddles.definitions import add_definition
from bot.slack.home import home_view
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import slack_settings
from transcripts.db import Database
from transcripts.models import LevelChange, Prompt, utcnow


def _definition() -> HuddleDefinition:
    return HuddleDefinition(
        name="Ward 7", channel="CWARD", days=["mon"], time="07:45", prompts=["Concerns"], level_review="12h",
        members=["U1"],
    )  # fmt: skip


def test_a_level_never_set_says_so_and_a_stale_one_is_asked_for(db: Database, db_url: str) -> None:
    with db.session() as s:
        add_definition(s, _definition())
    home = json.dumps(home_view(db, "T0TEAM", single_workspace=True).to_dict())
    assert "level not set" in home and "OPEL 1" not in home

    with running_fake_slack() as fake:
        slack = slack_for(slack_settings(fake, db_url))
        chosen = set_level(db, slack, team_channel="CWARD", level=3, set_by="U1", reason="two RNs short")
        with db.session() as s:
            change = s.scalars(select(LevelChange)).one()
            assert change.actions_taken == list(chosen.actions) and change.actions_taken
            s.execute(update(LevelChange).values(set_at=utcnow() - timedelta(hours=13)))
        event_id = flow.open_huddle(db, slack, _definition(), definition_id=None)
        with db.session() as s:
            close = s.scalars(select(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "close")).one()
        flow.close(db, slack, event_id, close.id, "http://huddles")
    opening = next(p for p in fake.of("chat.postMessage") if p.get("blocks"))
    assert "3 - OPEL 3" in json.dumps(opening["blocks"]) and "out of date" in json.dumps(opening["blocks"])
    assert "/huddle level N why" in json.dumps(opening["blocks"])
    home = json.dumps(home_view(db, "T0TEAM", single_workspace=True).to_dict())
    assert "out of date" in home
    [summary] = [p for p in fake.of("chat.postMessage") if "Summary of" in str(p.get("text"))]
    assert "*Escalation level:* 3 - OPEL 3" in summary["text"]
