"""Slack over Socket Mode, for teams whose huddlebot has no public address (a trust's internal network).

The worker opens an outbound websocket with the app-level token (`SLACK_APP_TOKEN`, xapp-…) and
Slack delivers events, commands and button presses over it; the same Bolt app handles them as it
does on `/slack/events`, acknowledging each envelope before the slow work.
"""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import ConnectionState

from bot.slack.app import build_bolt_app
from config.settings import Settings
from transcripts.db import Database
from transcripts.errors import RecordError


class StoppableSocketModeClient(SocketModeClient):
    """slack_sdk's built-in client, with its session and that session's state always seen together.

    The built-in `connect` publishes the new session, then its state. The receiving thread (ticking
    every 0.1 s) can start on the new session with the old state in between; `close` then finishes the
    new state, the thread waits on the old one for ever, and `close`, which joins that thread, never
    returns: `huddle socket` could not be stopped (tests/bot/slack/test_socket_mode_close.py). Here
    connecting, starting to receive and closing take one lock, so the thread always runs a pair that
    `connect` or `close` will finish, and starts nothing once closed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._session_lock = threading.RLock()  # before super(): its receiving thread starts there
        self._receiving: ConnectionState | None = None
        self._stopped = False  # not slack_sdk's `closed`: that is set only after its thread has started
        super().__init__(*args, **kwargs)

    def connect(self) -> None:
        with self._session_lock:
            super().connect()

    def _run_current_session(self) -> None:
        with self._session_lock:
            session, state = self.current_session, self.current_session_state
            if self._stopped or session is None or not session.is_active():
                return
            state.terminated = False
            self._receiving = state
        try:
            session.run_until_completion(state)
        except Exception as exc:  # as slack_sdk's own loop: log, and the next tick starts again
            self.logger.error(f"Failed to receive from the Socket Mode connection: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        with self._session_lock:
            self._stopped = True
            self.auto_reconnect_enabled = False
            if self._receiving is not None:
                self._receiving.terminated = True
        super().close()


class StoppableSocketModeHandler(SocketModeHandler):
    """Bolt's built-in Socket Mode handler, on the client above (Bolt's own builds slack_sdk's)."""

    def __init__(self, app: App, app_token: str) -> None:  # Bolt's __init__ would start a second client
        self.app = app
        self.app_token = app_token
        self.client = StoppableSocketModeClient(
            app_token=app_token, logger=app.logger, web_client=app.client, proxy=app.client.proxy
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


def socket_mode_handler(settings: Settings, db: Database) -> StoppableSocketModeHandler:
    if settings.slack_app_token is None:
        raise RecordError("SLACK_APP_TOKEN", "Socket Mode needs an app-level token (xapp-...)")
    app = build_bolt_app(settings, db, socket_mode=True)
    return StoppableSocketModeHandler(app, settings.slack_app_token.get_secret_value())
