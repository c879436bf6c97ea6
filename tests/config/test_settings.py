"""Settings read from the environment: the database address in the forms hosts hand out."""

from __future__ import annotations

import pytest

from config.settings import load_settings, normalise_database_url


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("postgres://u:p@db.example:5432/hb", "postgresql+psycopg://u:p@db.example:5432/hb"),
        ("postgresql://u@db.example/hb", "postgresql+psycopg://u@db.example/hb"),
        ("postgresql+psycopg://u@db.example/hb", "postgresql+psycopg://u@db.example/hb"),
        ("sqlite:///huddlebot.db", "sqlite:///huddlebot.db"),
    ],
)
def test_database_url_in_the_heroku_form_means_postgresql(
    monkeypatch: pytest.MonkeyPatch, given: str, meant: str
) -> None:
    assert normalise_database_url(given) == meant
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database_url == meant
