"""Cross-site writes are refused whether or not WEB_BASE_URL is set; with it unset, the address the page
was served at is its own origin (a browser never lets a page choose the Host it sends)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.web.csrf import SameOriginWrites


def _app(*, base_url_set: bool) -> TestClient:
    async def save(_request: object) -> PlainTextResponse:
        return PlainTextResponse("saved")

    app = SameOriginWrites(
        Starlette(routes=[Route("/save", save, methods=["POST"])]),
        base_url="http://127.0.0.1:8000",
        base_url_set=base_url_set,
    )
    return TestClient(app, base_url="http://127.0.0.1:41234")


@pytest.mark.parametrize(
    ("base_url_set", "origin", "status"),
    [
        (False, "http://127.0.0.1:41234", 200),  # the page's own address, WEB_BASE_URL unset
        (False, "http://127.0.0.1:8000", 200),
        (False, "https://evil.example", 403),
        (False, None, 403),
        (True, "http://127.0.0.1:41234", 403),  # set: only WEB_BASE_URL's origin
        (True, "http://127.0.0.1:8000", 200),
        (True, "https://evil.example", 403),
    ],
)
def test_writes_come_only_from_our_own_origin(base_url_set: bool, origin: str | None, status: int) -> None:
    with _app(base_url_set=base_url_set) as client:
        headers = {"Origin": origin} if origin else {}
        assert client.post("/save", headers=headers).status_code == status
