"""The JSON API against its own OpenAPI document: schemathesis generates requests (valid and not) for
every operation, in-process, on a database holding the seed chat; none may get a 5xx and every
documented response must match its schema."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from bot.web.app import create_app
from tests.bot.web.conftest import RunningApp, web_settings
from transcripts.db import Database
from transcripts.importers import import_path

EXAMPLES = 40  # per operation and mode: about 10 s for the whole run on SQLite


@pytest.fixture
def api_app(db: Database, seed_chat: Path, tmp_path: Path) -> FastAPI:
    import_path(db, seed_chat)
    return create_app(web_settings("http://127.0.0.1", tmp_path / "out"), db)


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_api_never_fails_and_matches_its_schema(api_app: FastAPI, mode: schemathesis.GenerationMode) -> None:
    """Valid requests must get documented responses; invalid ones a 4xx. Never a 5xx."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api_app)
    checks = [not_a_server_error] + (
        [status_code_conformance, response_schema_conformance] if mode is schemathesis.GenerationMode.POSITIVE else []
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=checks)

        call()


def test_api_serves_the_seed_chat_totals(web: RunningApp, seed_event: int) -> None:
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        [chat] = client.get("/api/chats", params={"hashtag": "#WeHCMs"}).json()
        assert chat["id"] == seed_event and chat["messages"] == 171
        stats = client.get(f"/api/chats/{seed_event}/stats").json()
        assert (stats["messages"], stats["contributors"], len(stats["questions"])) == (171, 14, 6)
        first = client.get(f"/api/chats/{seed_event}/messages", params={"limit": 100}).json()
        rest = client.get(f"/api/chats/{seed_event}/messages", params={"after_id": first[-1]["id"]}).json()
        assert len(first) + len(rest) == 171
        assert client.get("/api/chats/999999").status_code == 404
        assert client.get("/api/openapi.json").json()["paths"].keys() == {
            "/api/chats", "/api/chats/{event_id}", "/api/chats/{event_id}/stats", "/api/chats/{event_id}/messages",
        }  # fmt: skip
