"""Nothing private leaks: every route and API endpoint the app has (enumerated from the app, not a hand
list) is walked with private events in the database - a huddle, an imported Slack export and a chat
recorded for a workspace - by a stranger and by a member of another workspace, through uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from tests.bot.web.conftest import RunningApp, sign_in
from tests.bot.web.huddle_data import T_OURS, T_THEIRS, add_huddles
from transcripts.importers import import_path
from transcripts.message import Author, Message
from transcripts.models import Event, Prompt
from transcripts.store import store_messages

# Words that appear only in the private records; none may reach a visitor who does not belong.
SECRET_WORDS = ("Zebracorn", "zebrahandle", "Quokkabay", "quokkauser", "Staffing: two short", "Ward 7")


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    method: str
    dependant: Dependant | None  # None for plain Starlette routes (the OpenAPI document)


def app_routes(app: FastAPI) -> Iterator[Route]:
    """Every route the app serves, as FastAPI resolves them (included routers opened up)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for c in contexts():
                for method in sorted(c.methods):
                    yield Route(c.path, method, c.dependant)
        elif hasattr(route, "methods") and hasattr(route, "path"):
            for method in sorted(route.methods or ()):
                yield Route(route.path, method, getattr(route, "dependant", None))


def _slack_export(root: Path) -> Path:
    (root / "ward-9").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps([{"id": "UQ1", "name": "quokkauser", "team_id": T_OURS}]))
    (root / "channels.json").write_text(json.dumps([{"id": "CQ", "name": "ward-9", "purpose": {"value": "Quokkabay"}}]))
    day = [{"type": "message", "user": "UQ1", "text": "Quokkabay bed shortage tonight", "ts": "1700000000.000100"}]
    (root / "ward-9" / "2023-11-14.json").write_text(json.dumps(day))
    return root


def _workspace_chat(web: RunningApp) -> int:
    starts = datetime(2024, 5, 1, 19, 0, tzinfo=UTC)
    with web.db.session() as session:
        event = Event(kind="chat", title="Zebracorn team chat", hashtag="#Zebracorn", starts_at=starts,
                      ends_at=starts + timedelta(hours=1), platforms=["x"], workspace=T_OURS)  # fmt: skip
        session.add(event)
        session.flush()
        session.add(Prompt(event_id=event.id, kind="question", number=1, text="Q1 Zebracorn?", posted_at=starts))
        store_messages(session, event.id, [
            Message("x", "z1", "#Zebracorn", Author("x", "uz", "zebrahandle"), "A1 Zebracorn answer",
                    starts + timedelta(minutes=3))
        ])  # fmt: skip
        return event.id


def _fill(route: Route, event_id: int, handle: str) -> tuple[str, dict[str, str]]:
    path = route.path.replace("{event_id}", str(event_id)).replace("{name}", "wheel")
    values = {"handle": handle, "format": "md", "save": "yes", "what_you_learned": "x", "q": "a", "key": "k"}
    names = [p.alias for p in route.dependant.query_params + route.dependant.body_params] if route.dependant else []
    return path, {n: values[n] for n in names if n in values}


def _walk(client: httpx.Client, web: RunningApp, event_ids: list[int], handles: list[str]) -> list[str]:
    leaks: list[str] = []
    for route in app_routes(web.app):
        for event_id, handle in zip(event_ids, handles, strict=True):
            path, params = _fill(route, event_id, handle)
            if route.method == "GET":
                response = client.get(path, params=params)
            else:
                response = client.request(route.method, path, data=params)
            seen = response.text + json.dumps(dict(response.headers))
            words = [w for w in SECRET_WORDS if w.lower() in seen.lower()]
            if words:
                leaks.append(f"{route.method} {path} ({response.status_code}): {words}")
            if "{event_id}" in route.path and response.status_code < 400:
                leaks.append(f"{route.method} {path} answered {response.status_code}")
        # Lists and searches: for the private records' own words too.
        for word in SECRET_WORDS:
            for path in ("/", "/api/chats"):
                text = client.get(path, params={"q": word}).text.replace(word, "")  # less the echoed query
                if any(w.lower() in text.lower() for w in SECRET_WORDS):
                    leaks.append(f"GET {path}?q={word}")
    return leaks


def test_no_route_or_api_endpoint_shows_a_private_event(web: RunningApp, seed_event: int, tmp_path: Path) -> None:
    huddles = add_huddles(web.db)
    [(slack_export, _)] = import_path(web.db, _slack_export(tmp_path / "export"))
    workspace_chat = _workspace_chat(web)
    private = [huddles.ours, slack_export, workspace_chat]
    handles = ["U2", "quokkauser", "zebrahandle"]
    routes = list(app_routes(web.app))
    assert {"/events/{event_id}/live.json", "/api/chats/{event_id}/messages", "/dashboard", "/api/openapi.json"} <= {
        r.path for r in routes
    }

    headers = {"Origin": web.base_url, "Accept": "text/html"}
    with httpx.Client(base_url=web.base_url, timeout=60, headers=headers) as stranger:
        assert _walk(stranger, web, private, handles) == []
    with httpx.Client(base_url=web.base_url, timeout=60, headers=headers) as other_workspace:
        sign_in(other_workspace, web, "U9", T_THEIRS)
        assert "Other trust" in other_workspace.get("/dashboard").text
        assert _walk(other_workspace, web, private, handles) == []

    # The walk reaches real pages: the public seed chat answers on every event route it fills.
    with httpx.Client(base_url=web.base_url, timeout=60, headers=headers) as visitor:
        for route in routes:
            if "{event_id}" in route.path and route.method == "GET" and "pictures" not in route.path:
                path, params = _fill(route, seed_event, "evelyn_prodger")
                assert visitor.get(path, params=params).status_code == 200, path


def test_a_workspace_sees_its_own_private_events_on_its_dashboard(web: RunningApp, tmp_path: Path) -> None:
    add_huddles(web.db)
    workspace_chat = _workspace_chat(web)
    with httpx.Client(base_url=web.base_url, timeout=60) as member:
        sign_in(member, web, "U2", T_OURS)
        dashboard = member.get("/dashboard")
        assert "Zebracorn team chat" in dashboard.text and "Ward 7" in dashboard.text
        assert dashboard.headers["cache-control"] == "private, no-store"  # no shared cache keeps a workspace's page
        assert "Zebracorn answer" in member.get(f"/events/{workspace_chat}/live.json").text
        assert member.get(f"/api/chats/{workspace_chat}").status_code == 404  # the API is public chats only
