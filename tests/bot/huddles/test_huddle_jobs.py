"""The scheduled opening job is safe to run twice (restart, failover): one session a day per huddle."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.huddles.definitions import add_definition
from bot.huddles.jobs import open_scheduled_huddle
from bot.platforms import registry
from config.huddle_definition import HuddleDefinition
from config.settings import get_settings
from tests.fakes.slack_api import running_fake_slack
from transcripts.db import Database
from transcripts.models import Event


def test_open_scheduled_huddle_twice_opens_once(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_slack() as fake:
        monkeypatch.setenv("SLACK_API_URL", fake.url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        get_settings.cache_clear()
        try:
            with db.session() as s:
                definition_id = add_definition(
                    s, HuddleDefinition(name="Ward", channel="C1", days=["mon"], time="07:45", prompts=["Staffing"])
                )
            registry.install(get_settings(), [], db=db)
            first = open_scheduled_huddle(definition_id)
            second = open_scheduled_huddle(definition_id)
        finally:
            get_settings.cache_clear()
        assert first is not None and second is None
        assert len(fake.of("chat.postMessage")) == 1
    with db.session() as s:
        assert s.scalars(select(Event.source)).all() == ["schedule"]
