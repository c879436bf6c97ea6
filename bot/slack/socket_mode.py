"""Slack over Socket Mode, for teams whose huddlebot has no public address (a trust's internal network).

The worker opens an outbound websocket with the app-level token (`SLACK_APP_TOKEN`, xapp-…) and
Slack delivers events, commands and button presses over it; the same Bolt app handles them as it
does on `/slack/events`, acknowledging each envelope before the slow work.
"""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slack.app import build_bolt_app
from config.settings import Settings
from transcripts.db import Database
from transcripts.errors import RecordError


def socket_mode_handler(settings: Settings, db: Database) -> SocketModeHandler:
    if settings.slack_app_token is None:
        raise RecordError("SLACK_APP_TOKEN", "Socket Mode needs an app-level token (xapp-...)")
    app = build_bolt_app(settings, db, socket_mode=True)
    return SocketModeHandler(app, settings.slack_app_token.get_secret_value())
