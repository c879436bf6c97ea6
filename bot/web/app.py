"""The ASGI app: one FastAPI instance serving the Slack endpoints, pages, static files and the JSON API."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.asgi_answers import answer
from bot.web.csrf import SameOriginWrites
from bot.web.rate_limits import RateLimits
from bot.web.rate_limits import rules as rate_limit_rules
from config.settings import Settings
from transcripts.db import Database

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"

# No inline script anywhere: even if some user text escaped escaping, the browser would not run it.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """Adds the CSP and friends to every response, errors included (plain ASGI: no body buffering).

    It is the outermost layer, so an unexpected error inside the app is answered here - a plain 500
    carrying the same headers, its traceback logged - rather than by Starlette's bare error page.
    HSTS is sent when the app is served over https (its WEB_BASE_URL, or the request itself)."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        https = self.https or scope.get("scheme") == "https"
        # A signed-in visitor's pages may hold their workspace's private records: no shared cache keeps them.
        signed_in = any(k == b"cookie" and b"hb_session=" in v for k, v in scope.get("headers", ()))

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if signed_in:
                    headers.setdefault("Cache-Control", "private, no-store")
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = b"Something went wrong on our side; please try again later.\n"
            await answer(with_headers, 500, body, "text/plain; charset=utf-8", (b"cache-control", b"no-store"))


class RedactSigninTokens(logging.Filter):
    """Keeps sign-in link tokens out of the access log: `token=…` in a logged path becomes `token=[redacted]`."""

    PATTERN = re.compile(r"([?&]token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1[redacted]", record.msg)
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSigninTokens) for f in access.filters):
        access.addFilter(RedactSigninTokens())


def create_app(settings: Settings, db: Database) -> FastAPI:
    from bot.web import api, archive, auth, cpd_pages, dashboard, live
    from bot.web.signing import signing_key

    bolt: App | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if bolt is not None:  # the Slack store process ends with the server, not when the app is collected
            from bot.slack.app import stop_storing

            stop_storing(bolt)

    # No Swagger UI: it would load script from a CDN into visitors' browsers. The OpenAPI document is served.
    # No trailing-slash redirects: Starlette would build their Location from the request's Host header.
    app = FastAPI(
        title="huddlebot",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.signing_key = signing_key(settings, db)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (archive, live, cpd_pages, auth, dashboard, api):
        app.include_router(module.router)
    slack_credentials = settings.slack_bot_token is not None or settings.slack_multi_workspace
    slack_events = None
    if settings.slack_signing_secret is not None and slack_credentials:
        from bot.slack.app import build_bolt_app
        from bot.web.slack_routes import install_pages, slack_events_endpoint, slack_router

        secret = settings.slack_signing_secret.get_secret_value()
        bolt = build_bolt_app(settings, db, install_pages())
        # A message event is acked only once its inbox insert has committed (bot.slack.app): about 0.1 ms on
        # SQLite, but a WAL flush on PostgreSQL, which must not hold up the loop every other request shares.
        on_loop = not settings.slack_multi_workspace and db.engine.dialect.name == "sqlite"
        slack_events = slack_events_endpoint(bolt, secret, events_on_loop=on_loop)
        app.include_router(slack_router(bolt, slack_events))

    app.add_middleware(RateLimits, rules=rate_limit_rules(settings))
    app.add_middleware(
        SameOriginWrites, base_url=settings.web_base_url, base_url_set="web_base_url" in settings.model_fields_set
    )
    if slack_events is not None:
        from bot.web.slack_routes import SlackEventsFirst

        app.add_middleware(SlackEventsFirst, endpoint=slack_events)
    # Added last, so outermost: refusals and errors carry the headers too.
    app.add_middleware(SecurityHeaders, https=settings.web_base_url.startswith("https://"))
    _redact_access_log()

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API and for scripts; a readable page (with sign-in for 401) for people."""
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        from bot.web.common import page

        headings = {401: "Please sign in", 403: "Not yours to see", 404: "Not found", 503: "Nearly ready"}
        retry = (exc.headers or {}).get("Retry-After")
        return page(
            request,
            "error.html.j2",
            status_code=exc.status_code,
            headers=exc.headers,  # e.g. a 405's Allow, a 503's Retry-After
            status=exc.status_code,
            heading=headings.get(exc.status_code, "Something is not right"),
            detail=str(exc.detail),
            refresh=retry if retry and retry.isdigit() else None,
        )

    return app
