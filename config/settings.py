"""Process settings, read from the environment once and validated with pydantic.

Secrets are `SecretStr`: their repr is masked, so printing a `Settings` or logging a validation error
never shows a token.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# X's pay-per-use API prices in US dollars per post, as published for the v2 API. Kept here, in one
# place, so `chat add` estimates cost from the same figures everyone can check and update.
X_PRICE_PER_POST_CREATED_USD = 0.010
X_PRICE_PER_POST_READ_USD = 0.005

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

    poll_interval_seconds: float = Field(default=15.0, gt=0, alias="POLL_INTERVAL_SECONDS")
    worker_reconcile_seconds: float = Field(default=30.0, gt=0, alias="WORKER_RECONCILE_SECONDS")
    standby_poll_seconds: float = Field(default=5.0, gt=0, alias="STANDBY_POLL_SECONDS")
    retention_days: int | None = Field(default=None, gt=0, alias="RETENTION_DAYS")


class SettingsError(Exception):
    """Settings that failed validation; the message names each bad variable and never its value."""


def load_settings() -> Settings:
    """Validate the environment, turning pydantic's report into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "settings"
            problems.append(f"{name.upper()}: {err['msg']}")
        raise SettingsError("bad settings: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use."""
    return load_settings()
