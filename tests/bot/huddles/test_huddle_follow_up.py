"""Follow up and look back: an action made from a concern is listed first at the next huddle (overdue marked)
and closed by its owner with one click; harms are tallied and milestones celebrated. Signed requests to the
real Bolt app, the real slack_sdk client, the local Slack."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from bot.huddles import flow
from bot.huddles.definitions import add_definition
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import interaction_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Action, HarmEvent, utcnow

FORM = "application/x-www-form-urlencoded"


def _ward() -> HuddleDefinition:
    return HuddleDefinition(
        name="Ward 7", channel="CWARD", days=["mon"], time="07:45", prompts=["Concerns"], members=["U1", "U2"],
        timezone="UTC",
    )  # fmt: skip


def _click(action_id: str, value: str, user: str, respond_to: str) -> str:
    return interaction_body({
        "type": "block_actions", "team": {"id": "T0TEAM"}, "user": {"id": user}, "api_app_id": "A0APP",
        "trigger_id": "t", "container": {"type": "message"}, "response_url": respond_to,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
    })  # fmt: skip


def test_an_action_is_followed_up_at_the_next_huddle_and_closed_by_its_owner(db: Database, db_url: str) -> None:
    with db.session() as s:
        definition_id = add_definition(s, _ward())
    with running_fake_slack() as fake:
        settings = slack_settings(fake, db_url)
        slack = slack_for(settings)
        flow.open_huddle(db, slack, _ward(), definition_id=definition_id, source="schedule")
        respond = fake.url.removesuffix("api/") + "respond/"
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            shortcut = interaction_body({
                "type": "message_action", "callback_id": "huddle_action", "team": {"id": "T0TEAM"},
                "user": {"id": "U1"}, "api_app_id": "A0APP", "trigger_id": "t", "channel": {"id": "CWARD"},
                "message": {"ts": "1900000000.000100", "text": "2: the hoist in bay 2 is broken"},
                "response_url": respond + "shortcut",
            })  # fmt: skip
            assert post_signed(http, base, shortcut, content_type=FORM).status_code == 200
            opened = wait_for(lambda: [v for v in fake.of("views.open") if v["view"]["callback_id"] == "huddle_action"])
            assert isinstance(opened, list) and "hoist in bay 2" in json.dumps(opened[0]["view"])
            today = utcnow().date().isoformat()
            submit = interaction_body({
                "type": "view_submission", "team": {"id": "T0TEAM"}, "user": {"id": "U1"}, "api_app_id": "A0APP",
                "view": {"id": "VA", "type": "modal", "callback_id": "huddle_action", "private_metadata": "CWARD",
                         "state": {"values": {
                             "what": {"what": {"type": "plain_text_input", "value": "Get the bay 2 hoist repaired"}},
                             "owner": {"owner": {"type": "users_select", "selected_user": "U2"}},
                             "due": {"due": {"type": "datepicker", "selected_date": today}}}}},
            })  # fmt: skip
            assert post_signed(http, base, submit, content_type=FORM).status_code == 200
            wait_for(lambda: _actions(db), "the action to be saved")

            flow.open_huddle(db, slack, _ward(), definition_id=definition_id, now=utcnow() + timedelta(days=1))
            tomorrow = [p for p in fake.of("chat.postMessage") if p.get("blocks")][-1]
            shown = json.dumps(tomorrow["blocks"])
            assert shown.index("Follow up (1 open)") < shown.index("Concerns")  # follow up comes first
            assert "Get the bay 2 hoist repaired" in shown and "*overdue*" in shown and "action_done" in shown

            [action] = _actions(db)
            for user in ("U1", "U2"):
                click = _click("action_done", str(action.id), user, respond + user)
                assert post_signed(http, base, click, content_type=FORM).status_code == 200
                wait_for(lambda u=user: fake.of(f"respond/{u}"))
    assert "Only its owner, <@U2>" in fake.of("respond/U1")[0]["text"]
    assert fake.of("respond/U2")[0]["text"] == "Done: Get the bay 2 hoist repaired"
    [done] = _actions(db)
    assert done.status == "done" and done.done_at is not None


def test_harms_are_tallied_and_milestones_celebrated(db: Database, db_url: str) -> None:
    with db.session() as s:
        definition_id = add_definition(s, _ward())
        s.add(HarmEvent(team_channel="CWARD", kind="pressure ulcers", occurred_at=utcnow() - timedelta(days=30),
                        recorded_by="U1"))  # fmt: skip
    with running_fake_slack() as fake:
        settings = slack_settings(fake, db_url)
        slack = slack_for(settings)
        flow.open_huddle(db, slack, _ward(), definition_id=definition_id, now=utcnow() - timedelta(days=1))
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            harm = urlencode({"command": "/huddle", "text": "harm falls", "team_id": "T0TEAM", "user_id": "U1",
                              "channel_id": "CWARD", "trigger_id": "t", "api_app_id": "A0APP",
                              "response_url": fake.url.removesuffix("api/") + "respond/harm"})  # fmt: skip
            assert post_signed(http, base, harm, content_type=FORM).status_code == 200
            wait_for(lambda: fake.of("respond/harm"))
        flow.open_huddle(db, slack, _ward(), definition_id=definition_id)
    assert fake.of("respond/harm")[0]["text"] == "Recorded: falls."
    today = [p for p in fake.of("chat.postMessage") if p.get("blocks")][-1]
    assert "falls: 0" in json.dumps(today["blocks"]) and "pressure ulcers: 30" in json.dumps(today["blocks"])
    celebrated = [p["text"] for p in fake.of("chat.postMessage") if ":tada:" in str(p.get("text"))]
    assert celebrated == [":tada: 30 days without pressure ulcers on Ward 7. Well done!"]


def _actions(db: Database) -> list[Action]:
    with db.session() as s:
        rows = list(s.scalars(select(Action)))
        s.expunge_all()
        return rows
