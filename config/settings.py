"""Process settings, read from the environment once and validated with pydantic.

Secrets are `SecretStr`: their repr is masked, so printing a `Settings` or logging a validation error
never shows a token.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def normalise_database_url(url: str) -> str:
    """`postgres://` (the form Heroku and most hosts give) and `postgresql://` mean PostgreSQL through
    psycopg 3, the driver huddlebot ships with; SQLAlchemy would otherwise refuse the first and look
    for psycopg2 for the second."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Keys that have been published (this project's old default among them) can never sign anything.
PUBLISHED_KEYS = frozenset({"dev-only-change-me", "changeme", "change-me", "secret", "secret_key"})
MIN_SECRET_KEY_LENGTH = 16


class Settings(BaseSettings):
    """Everything a running huddlebot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite:///huddlebot.db", alias="DATABASE_URL")
    output_dir: str = Field(default="out", alias="HUDDLEBOT_OUTPUT_DIR")
    web_base_url: str = Field(default="http://127.0.0.1:8000", alias="WEB_BASE_URL")
    # Unset: the web app generates a random key once and keeps it in the database (bot.web.signing).
    secret_key: SecretStr | None = Field(default=None, alias="SECRET_KEY")

    x_api_base_url: str = Field(default="https://api.twitter.com", alias="X_API_BASE_URL")
    x_bearer_token: SecretStr | None = Field(default=None, alias="X_BEARER_TOKEN")
    x_consumer_key: SecretStr | None = Field(default=None, alias="X_CONSUMER_KEY")
    x_consumer_secret: SecretStr | None = Field(default=None, alias="X_CONSUMER_SECRET")
    x_access_token: SecretStr | None = Field(default=None, alias="X_ACCESS_TOKEN")
    x_access_token_secret: SecretStr | None = Field(default=None, alias="X_ACCESS_TOKEN_SECRET")
    x_timeout_seconds: float = Field(default=20.0, gt=0, alias="X_TIMEOUT_SECONDS")

    # X's pay-per-use API prices in US dollars, as published for the v2 API on `X_PRICES_AS_OF`: settings,
    # so a deployment can follow a price change without a release, and every estimate says when they were read.
    x_price_post_read_usd: float = Field(default=0.005, ge=0, alias="X_PRICE_POST_READ_USD")
    x_price_user_read_usd: float = Field(default=0.010, ge=0, alias="X_PRICE_USER_READ_USD")
    x_price_post_created_usd: float = Field(default=0.015, ge=0, alias="X_PRICE_POST_CREATED_USD")
    x_price_post_created_with_url_usd: float = Field(default=0.200, ge=0, alias="X_PRICE_POST_CREATED_WITH_URL_USD")
    x_prices_as_of: str = Field(default="2026-11-23", alias="X_PRICES_AS_OF")

    bluesky_base_url: str = Field(default="https://bsky.social/xrpc", alias="BLUESKY_BASE_URL")
    bluesky_handle: str | None = Field(default=None, alias="BLUESKY_HANDLE")
    bluesky_app_password: SecretStr | None = Field(default=None, alias="BLUESKY_APP_PASSWORD")

    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_authorize_url: str = Field(default="https://slack.com/oauth/v2/authorize", alias="SLACK_AUTHORIZE_URL")
    # Seconds after start-up before this process's store process stores the Slack message events it acks: they
    # wait in the database's inbox meanwhile, and acknowledging is not delayed. 0 in service; the tests set
    # it to kill a process that has acknowledged an event and certainly not stored it yet. At most a day.
    slack_recorder_start_delay_seconds: float = Field(
        default=0.0, ge=0, le=86_400, alias="SLACK_RECORDER_START_DELAY_SECONDS"
    )
    # Who stores the Slack message events the web process (or Socket Mode) acknowledges: by default a child
    # process it starts (bot.slack.store_process); with this set, only `huddlebot worker` (the leading one).
    # Either way the acknowledging process stores nothing itself. Set it only where a worker runs: until one
    # does, events wait in the inbox.
    slack_store_in_worker: bool = Field(default=False, alias="SLACK_STORE_IN_WORKER")

    # Per client address, in the `limits` notation: a person keeping their log or signing in stays far below.
    cpd_rate_limit: str = Field(default="30/minute;300/hour", alias="CPD_RATE_LIMIT")
    sign_in_rate_limit: str = Field(default="10/minute;60/hour", alias="SIGN_IN_RATE_LIMIT")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value.strip())

    @field_validator("cpd_rate_limit", "sign_in_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name is not None and value == cls.model_fields[info.field_name].default:
            return value  # every command builds the settings: only one who sets a limit loads `limits`
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError("is not a rate limit such as 30/minute;300/hour") from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _not_a_known_key(cls, value: SecretStr | None) -> SecretStr | None:
        """A published or short key would let anyone forge a session; refuse it rather than sign with it."""
        if value is None:
            return None
        key = value.get_secret_value()
        if key.strip().lower() in PUBLISHED_KEYS:
            raise ValueError("is a published example key; set a long random value, or unset it to have one generated")
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters (or unset it to have one generated)")
        return value

    @property
    def slack_multi_workspace(self) -> bool:
        """OAuth install per workspace: the app's credentials are set and no single bot token overrides them."""
        return self.slack_bot_token is None and bool(self.slack_client_id and self.slack_client_secret)

    # How often the worker sends due huddle reminders and closes and re-escalates overdue escalations.
    # (Chats poll X and Bluesky at their own definition's `poll_interval`.) POLL_INTERVAL_SECONDS was
    # this setting's old, misleading name and is still read, with a warning.
    huddle_tick_seconds: float = Field(
        default=15.0, gt=0, validation_alias=AliasChoices("HUDDLE_TICK_SECONDS", "POLL_INTERVAL_SECONDS")
    )
    worker_reconcile_seconds: float = Field(default=30.0, gt=0, alias="WORKER_RECONCILE_SECONDS")
    standby_poll_seconds: float = Field(default=5.0, gt=0, alias="STANDBY_POLL_SECONDS")
    # A chat's stored posts are re-checked for deletion by their authors until this many days after it.
    deleted_check_days: int = Field(default=30, ge=0, alias="DELETED_POST_CHECK_DAYS")
    retention_days: int | None = Field(default=None, gt=0, alias="RETENTION_DAYS")


class SettingsError(Exception):
    """Settings that failed validation; the message names each bad variable and never its value."""


log = logging.getLogger(__name__)
RENAMED = {"POLL_INTERVAL_SECONDS": "HUDDLE_TICK_SECONDS"}


def load_settings() -> Settings:
    """Validate the environment, turning pydantic's report into one line per bad variable."""
    for old, new in RENAMED.items():
        if old in os.environ:
            log.warning("%s is now called %s; the old name still works but will be dropped", old, new)
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "settings"
            problems.append(f"{_as_set(name.upper())}: {err['msg']}")
        raise SettingsError("bad settings: " + "; ".join(problems)) from None


def _as_set(name: str) -> str:
    """A renamed variable's error names the name the environment actually used."""
    old = next((o for o, new in RENAMED.items() if new == name and o in os.environ and new not in os.environ), None)
    return old or name


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use."""
    return load_settings()
