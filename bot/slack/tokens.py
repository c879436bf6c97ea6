"""Where a Slack token comes from: the one place that knows single-token mode from per-workspace installs.

A small team sets SLACK_BOT_TOKEN and every workspace id maps to it. A multi-workspace deployment
(SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, no single token) looks the workspace's bot token up in
slack_sdk's installation store, so a huddle in one workspace can never be posted with another's token.
"""

from __future__ import annotations

from functools import lru_cache

from slack_sdk import WebClient

from bot.platforms.slack import SlackPlatform, retry_handlers
from bot.slack.install import installation_store
from config.settings import Settings
from transcripts.db import Database


class NoSlackToken(RuntimeError):
    """The deployment has no bot token for the workspace it was asked to talk to."""


def bot_token(settings: Settings, team_id: str | None = None, db: Database | None = None) -> str:
    """The bot token for `team_id`: the single token, or the one Slack gave when that workspace installed us."""
    if settings.slack_bot_token is not None:
        return settings.slack_bot_token.get_secret_value()
    if not settings.slack_multi_workspace:
        raise NoSlackToken("SLACK_BOT_TOKEN is not set (nor SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for installs)")
    if not team_id:
        raise NoSlackToken("no Slack workspace given: with per-workspace installs every huddle needs its workspace")
    if db is None:
        raise NoSlackToken("per-workspace installs need the database that holds them")
    bot = installation_store(settings, db.engine).find_bot(enterprise_id=None, team_id=team_id)
    if bot is None or not bot.bot_token:
        raise NoSlackToken(f"workspace {team_id} has not installed huddlebot (open /slack/install from it)")
    return bot.bot_token


def web_client(settings: Settings, team_id: str | None = None, db: Database | None = None) -> WebClient:
    return _client(base_url(settings), bot_token(settings, team_id, db))


def slack_for(settings: Settings, team_id: str | None = None, db: Database | None = None) -> SlackPlatform:
    """The Slack adapter speaking as `team_id`'s bot."""
    return SlackPlatform(web_client(settings, team_id, db))


def base_url(settings: Settings) -> str:
    """SLACK_API_URL as slack_sdk joins it with method names: with its trailing slash."""
    url = settings.slack_api_url
    return url if url.endswith("/") else url + "/"


@lru_cache(maxsize=32)
def _client(url: str, token: str) -> WebClient:
    # WebClient is thread-safe and keeps no per-call state; one per token avoids re-building it per job.
    return WebClient(token=token, base_url=url, retry_handlers=retry_handlers())
