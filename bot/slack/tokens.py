"""Where a Slack token comes from. One function, so OAuth installs per workspace can replace it later."""

from __future__ import annotations

from functools import lru_cache

from slack_sdk import WebClient

from config.settings import Settings


class NoSlackToken(RuntimeError):
    """The deployment has no bot token for the workspace it was asked to talk to."""


def bot_token(settings: Settings, team_id: str | None = None) -> str:
    """The bot token for `team_id`; single-workspace mode has one token for every team."""
    if settings.slack_bot_token is None:
        raise NoSlackToken("SLACK_BOT_TOKEN is not set")
    return settings.slack_bot_token.get_secret_value()


def web_client(settings: Settings, team_id: str | None = None) -> WebClient:
    return _client(settings.slack_api_url, bot_token(settings, team_id))


@lru_cache(maxsize=32)
def _client(base_url: str, token: str) -> WebClient:
    # WebClient is thread-safe and keeps no per-call state; one per token avoids re-building it per job.
    return WebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/")
