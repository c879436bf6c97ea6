"""A huddle set to remind by direct message writes to each member who has not answered, and only to them."""

from __future__ import annotations

from sqlalchemy import select

from bot.huddles import flow, sessions
from bot.huddles.definitions import add_definition
from bot.platforms.slack import thread_reply
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import BOT_USER, running_fake_slack
from tests.fakes.slack_web import slack_settings
from transcripts.db import Database
from transcripts.models import Prompt


def test_dm_reminders_go_to_the_quiet_members_only(db: Database, db_url: str) -> None:
    # The channel holds off-duty staff too (U4): only the rota, the night team's user group, is reminded.
    with running_fake_slack(members={"CWARD": ["U1", "U2", "U3", "U4", BOT_USER]},
                            groups={"S0NIGHTS": ["U1", "U2", "U3"]}) as fake:  # fmt: skip
        settings = slack_settings(fake, db_url)
        slack = slack_for(settings)
        definition = HuddleDefinition(
            name="Ward 7 safety huddle", channel="CWARD", days=["mon"], time="07:45", prompts=["Staffing"],
            window="10m", reminders=["5m"], remind_via="dm", user_group="S0NIGHTS",
        )  # fmt: skip
        with db.session() as s:
            definition_id = add_definition(s, definition)
        event_id = flow.open_huddle(db, slack, definition, definition_id=definition_id)
        with db.session() as s:
            where = sessions.opening_ts(s, event_id)
            reminders = select(Prompt.id).where(Prompt.event_id == event_id, Prompt.kind == "reminder")
            reminder_id = s.scalars(reminders).one()
        assert where is not None
        channel, thread_ts = where
        reply = {"channel": channel, "ts": "1900000000.000100", "thread_ts": thread_ts, "user": "U1", "text": "full"}
        message = thread_reply(reply)
        assert message is not None and sessions.record_reply(db, message)

        reminded = flow.remind(db, slack, event_id, reminder_id)

    assert sorted(reminded) == ["U2", "U3"]
    after_opening = fake.of("chat.postMessage")[1:]
    assert sorted(p["channel"] for p in after_opening) == ["U2", "U3"]  # a DM each; nothing in the thread
    assert all("thread_ts" not in p for p in after_opening)
    assert all(p["text"].startswith("A reminder: the huddle in <#CWARD> closes at ") for p in after_opening)
    with db.session() as s:
        assert s.get(Prompt, reminder_id).posted_at is not None  # type: ignore[union-attr]
