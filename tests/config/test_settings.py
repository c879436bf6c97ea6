"""Settings read from the environment: the database address in the forms hosts hand out, rate limits, and
the Slack recorder's start delay."""

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


@pytest.mark.parametrize("given", ["-1", "soon", "86401", "nan"])
def test_a_bad_slack_recorder_start_delay_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("SLACK_RECORDER_START_DELAY_SECONDS", given)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).startswith("bad settings: SLACK_RECORDER_START_DELAY_SECONDS: ")


def test_the_slack_recorder_starts_at_once_unless_told_to_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_RECORDER_START_DELAY_SECONDS", raising=False)
    assert load_settings().slack_recorder_start_delay_seconds == 0
    monkeypatch.setenv("SLACK_RECORDER_START_DELAY_SECONDS", "2.5")
    assert load_settings().slack_recorder_start_delay_seconds == 2.5
