"""Installing huddlebot in many Slack workspaces: Slack's OAuth v2 flow through Bolt, stored by slack_sdk.

A trust with several workspaces (or a community serving many teams) installs the app once per
workspace at `/slack/install`; Slack sends the installer back to `/slack/oauth_redirect` and Bolt
exchanges the code for that workspace's bot token. The token is kept only in slack_sdk's SQLAlchemy
installation store, in the record's own database, and read back per workspace by `bot.slack.tokens`.
The one-time state that guards the redirect lives in slack_sdk's state store on the same database, so
any web process can finish an install another one started.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from slack_bolt.oauth.callback_options import CallbackOptions
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, and_

from config.settings import Settings
from transcripts.db import Database
from transcripts.slack_stores import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
MANIFEST = Path(__file__).parents[2] / "config" / "slack_manifest.yaml"


@lru_cache(maxsize=1)
def bot_scopes() -> tuple[str, ...]:
    """The scopes asked for at install are the manifest's, so the two can never disagree."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, but a workspace's uninstall deletes its bot and installation rows together.

    The installation row carries the bot token as well: slack_sdk deletes the two in separate
    transactions, so a failure (or a reader) between them would find a token kept after its bot row
    was gone. One transaction means an uninstall either happened whole or not at all.
    """

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self.engine.begin() as conn:
            for table in (self.bots, self.installations):
                c = table.c
                conn.execute(
                    table.delete().where(
                        and_(c.client_id == self.client_id, c.enterprise_id == enterprise_id, c.team_id == team_id)
                    )
                )


def installation_store(settings: Settings, engine: Engine) -> WorkspaceInstallationStore:
    return _store(str(settings.slack_client_id), engine)


@lru_cache(maxsize=8)
def _store(client_id: str, engine: Engine) -> WorkspaceInstallationStore:
    # One per app and database: the store builds its table objects when made, and every scheduled
    # huddle, reminder and Bolt request looks a token up through it.
    return WorkspaceInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=SLACK_BOTS.name,
        installations_table_name=SLACK_INSTALLATIONS.name,
    )


def oauth_settings(settings: Settings, db: Database, pages: CallbackOptions | None = None) -> OAuthSettings:
    """`/slack/install` sends the installer straight to Slack (no intermediate page to click through);
    `pages` are what they see when Slack sends them back, Bolt's plain defaults when not given."""
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=list(bot_scopes()),
        redirect_uri=settings.web_base_url.rstrip("/") + REDIRECT_PATH,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorize_url,
        installation_store=installation_store(settings, db.engine),
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=db.engine, table_name=SLACK_OAUTH_STATES.name
        ),
        callback_options=pages,
    )
