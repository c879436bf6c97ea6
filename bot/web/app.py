"""The ASGI app: one FastAPI instance serving the Slack endpoints, pages, static files and the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.csrf import SameOriginWrites
from config.settings import Settings
from transcripts.db import Database

STATIC_DIR = Path(__file__).parent / "static"

# No inline script anywhere: even if some user text escaped escaping, the browser would not run it.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Adds the CSP and friends to every response (plain ASGI: no per-request task or body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(settings: Settings, db: Database) -> FastAPI:
    from bot.web import api, archive, auth, cpd_pages, dashboard, live
    from bot.web.signing import signing_key

    # No Swagger UI: it would load script from a CDN into visitors' browsers. The OpenAPI document is served.
    app = FastAPI(title="huddlebot", version="1", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.db = db
    app.state.signing_key = signing_key(settings, db)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (archive, live, cpd_pages, auth, dashboard, api):
        app.include_router(module.router)
    slack_credentials = settings.slack_bot_token is not None or settings.slack_multi_workspace
    if settings.slack_signing_secret is not None and slack_credentials:
        from bot.slack.app import build_bolt_app
        from bot.web.slack_routes import install_pages, slack_router

        secret = settings.slack_signing_secret.get_secret_value()
        app.include_router(slack_router(build_bolt_app(settings, db, install_pages()), secret))

    app.add_middleware(SameOriginWrites, base_url=settings.web_base_url)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: refusals carry the headers too

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API and for scripts; a readable page (with sign-in for 401) for people."""
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        from bot.web.common import page

        headings = {401: "Please sign in", 403: "Not yours to see", 404: "Not found"}
        return page(
            request,
            "error.html.j2",
            status_code=exc.status_code,
            status=exc.status_code,
            heading=headings.get(exc.status_code, "Something is not right"),
            detail=str(exc.detail),
        )

    return app
