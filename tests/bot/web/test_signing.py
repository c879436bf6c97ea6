"""No known key signs anything: the old published default is refused, and with SECRET_KEY unset the
installation signs with a random key generated once and kept in its database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from bot.web.app import create_app
from config.settings import Settings, SettingsError, load_settings
from tests.bot.web.conftest import local_socket, serve
from tests.bot.web.huddle_data import T_OURS, add_huddles
from transcripts.db import Database
from transcripts.models import InstallationSecret

OLD_DEFAULT = "dev-only-change-me"


@contextmanager
def _app_without_secret_key(db: Database, tmp_path: Path) -> Iterator[str]:
    sock, base = local_socket()
    settings = Settings(_env_file=None, HUDDLEBOT_OUTPUT_DIR=str(tmp_path / "out"), WEB_BASE_URL=base)  # type: ignore[call-arg]
    app = create_app(settings, db)
    for _ in serve(app, sock):
        yield base


def _session_cookie(key: str, workspace: str) -> str:
    return str(URLSafeTimedSerializer(key, salt="huddlebot.session").dumps({"u": "U2", "w": workspace, "n": None}))


def test_a_cookie_forged_with_the_old_default_key_opens_nothing(db: Database, tmp_path: Path) -> None:
    huddles = add_huddles(db)
    forged = {"hb_session": _session_cookie(OLD_DEFAULT, T_OURS)}
    with _app_without_secret_key(db, tmp_path) as base, httpx.Client(base_url=base, cookies=forged) as client:
        assert client.get("/dashboard").status_code == 401
        response = client.get(f"/events/{huddles.ours}")
        assert response.status_code == 401 and "Staffing" not in response.text


def test_the_generated_key_is_made_once_kept_in_the_database_and_logged_in_one_line(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    huddles = add_huddles(db)
    with caplog.at_level(logging.INFO), _app_without_secret_key(db, tmp_path) as base:
        with db.session() as session:
            [row] = session.query(InstallationSecret).all()
            key = row.value
        assert len(key) >= 48 and key != OLD_DEFAULT
        own = {"hb_session": _session_cookie(key, T_OURS)}
        with httpx.Client(base_url=base, cookies=own) as client:  # the installation's own key does sign
            assert client.get(f"/events/{huddles.ours}").status_code == 200
    lines = [r.getMessage() for r in caplog.records if "SECRET_KEY" in r.getMessage()]
    assert len(lines) == 1 and key not in caplog.text

    # Another process of the same installation (a new connection, a restart) signs with the same key.
    other = Database(db.url)
    try:
        with _app_without_secret_key(other, tmp_path) as base, httpx.Client(base_url=base) as client:
            client.cookies.set("hb_session", _session_cookie(key, T_OURS))
            assert client.get("/dashboard").status_code == 200
        with other.session() as session:
            assert [r.value for r in session.query(InstallationSecret).all()] == [key]
    finally:
        other.dispose()


@pytest.mark.parametrize("value", [OLD_DEFAULT, "short"])
def test_a_published_or_short_secret_key_is_refused_at_start(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", value)
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "SECRET_KEY" in str(refused.value) and value not in str(refused.value)
