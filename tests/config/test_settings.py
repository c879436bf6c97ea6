"""Settings read from the environment: the database address in the forms hosts hand out."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings, normalise_database_url


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


@pytest.mark.parametrize("given", ["lots", "30 per fortnight", ""])
def test_a_bad_rate_limit_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv("CPD_RATE_LIMIT", given)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).startswith("bad settings: CPD_RATE_LIMIT: ")
    assert "\n" not in str(refused.value)


def test_rate_limits_can_be_set_in_the_limits_notation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGN_IN_RATE_LIMIT", "5/minute;20/day")
    assert load_settings().sign_in_rate_limit == "5/minute;20/day"
