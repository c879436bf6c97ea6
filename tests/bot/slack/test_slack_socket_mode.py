"""Socket Mode end to end: `huddle socket`'s handler opens Slack's websocket with the app-level token,
acknowledges each envelope, stores a huddle answer from it and answers a slash command over it."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.huddles import flow, sessions
from bot.slack.socket_mode import socket_mode_handler
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from config.settings import Settings
from tests.fakes.slack_api import BOT_USER, TEAM, running_fake_slack
from tests.fakes.slack_socket import running_fake_socket
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Answer


def _answers(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Answer)) or 0)


def test_socket_mode_acks_stores_answers_and_answers_commands(db: Database, db_url: str) -> None:
    members = {"CWARD": ["U1", BOT_USER], "CNIGHTS": ["U2", BOT_USER]}
    with running_fake_slack(members=members) as slack, running_fake_socket() as socket:
        slack.socket_url = socket.url
        settings = Settings(
            _env_file=None,
            DATABASE_URL=db_url,
            SLACK_API_URL=slack.url,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_APP_TOKEN="xapp-test",
        )  # fmt: skip  (no signing secret: Socket Mode requests are not signed)
        definition = HuddleDefinition(name="Ward 7", channel="CWARD", days=["mon"], time="07:45", prompts=["Staffing"])
        event_id = flow.open_huddle(db, slack_for(settings), definition, definition_id=None)
        with db.session() as s:
            where = sessions.opening_ts(s, event_id)
        assert where is not None

        handler = socket_mode_handler(settings, db)
        handler.connect()
        try:
            assert socket.connected.wait(10)
            reply = {
                "type": "message", "channel": "CWARD", "user": "U1", "text": "two RNs short on nights",
                "ts": "1900000000.000100", "thread_ts": where[1],
            }  # fmt: skip
            answered = socket.send(
                "events_api",
                {"type": "event_callback", "team_id": TEAM, "api_app_id": "A0APP", "event": reply, "event_id": "Ev1"},
            )
            huddle_now = {
                "command": "/huddle", "text": "now", "channel_id": "CNIGHTS", "user_id": "U2", "team_id": TEAM,
                "trigger_id": "t", "response_url": "http://127.0.0.1:9/unused",
            }  # fmt: skip
            command = socket.send("slash_commands", huddle_now, accepts_response_payload=True)
            wait_for(lambda: answered in socket.acks and command in socket.acks, "both acknowledgements")
            wait_for(lambda: _answers(db) == 1, "the answer to be stored")
            opened = wait_for(
                lambda: [p for p in slack.of("chat.postMessage") if p["channel"] == "CNIGHTS" and p.get("blocks")],
                "the huddle called from the command",
            )
        finally:
            handler.close()
    assert socket.acks[command]["payload"]["text"] == "Calling a huddle now."
    assert len(opened) == 1
    assert ("apps.connections.open", {}) in slack.calls
