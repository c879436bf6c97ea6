"""Slack's HTTP endpoints: `/slack/events`, and with per-workspace installs `/slack/install` and
`/slack/oauth_redirect`, all handed to the Bolt app.

Bolt's dispatch and OAuth flow are synchronous (ack, token exchange, store write); whatever may wait
on the database or Slack runs in the thread pool, so a slow one never stalls the event loop that
other requests share. A message event waits before its ack only for one insert into the Slack inbox, so an
acknowledged reply survives a kill (bot/slack/app.py); on SQLite, with one bot token, that insert is
short enough to run on the loop (see slack_events_endpoint).

Before Bolt sees a request, `/slack/events` reads at most MAX_SLACK_BODY bytes (a declared length
over it is refused before a byte is read; a streamed body is refused as soon as it passes it) and
checks Slack's signature over those bytes: nothing unsigned is parsed, and no outsider can make the
process hold a large body. Whatever a signed request holds, a parse failure is a 400, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.common import templates

log = logging.getLogger(__name__)

# Slack's event and interaction payloads are a few kilobytes; a megabyte is far above any of them.
MAX_SLACK_BODY = 1_000_000


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def _bounded_body(request: Request) -> bytes:
    """The body, read only while it stays within MAX_SLACK_BODY; refused (413) as soon as it does not."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise _Refused(400, "bad Content-Length")
        if int(declared) > MAX_SLACK_BODY:
            raise _Refused(413, "request body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SLACK_BODY:
            raise _Refused(413, "request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _signed(verifier: SignatureVerifier, request: Request, body: bytes) -> bool:
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    return bool(timestamp and signature) and verifier.is_valid(body, timestamp, signature)


Endpoint = Callable[[Request], Awaitable[Response]]


def slack_events_endpoint(bolt: App, signing_secret: str, *, events_on_loop: bool = False) -> Endpoint:
    """`/slack/events`. With `events_on_loop` (one bot token), Events API requests are dispatched on the
    event loop, as Bolt's own Starlette adapter does, once Bolt has asked Slack's auth.test who it is (it
    asks once and remembers): before the ack Bolt then only reads the body, matches a listener, writes a
    message event to the inbox (one SQLite insert) and acks, and a hand-off to a thread and back would
    cost more than that. On PostgreSQL that commit waits for a disk flush, so the app does not ask for
    it. Interactions and commands wait in Bolt until their listener acks, and per-workspace installs
    read the installation store, so they stay in the pool."""
    verifier = SignatureVerifier(signing_secret)
    authorized = False

    async def slack_events(request: Request) -> Response:
        try:
            body = await _bounded_body(request)
            if not _signed(verifier, request, body):
                raise _Refused(401, "invalid request signature")
        except _Refused as refused:
            log.warning("/slack/events refused: %s", refused.detail)
            # The rest of a refused body is not read; the connection is closed rather than drained.
            return JSONResponse({"detail": refused.detail}, refused.status, headers={"Connection": "close"})
        nonlocal authorized
        event = request.headers.get("content-type", "").startswith("application/json")
        try:
            bolt_request = to_bolt_request(request, body)  # parses the body
            if events_on_loop and event and authorized:
                response = bolt.dispatch(bolt_request)
            else:
                response = await run_in_threadpool(bolt.dispatch, bolt_request)
                authorized = authorized or bolt_request.context.bot_user_id is not None
        except Exception as exc:  # a signed body Bolt cannot read: one line naming the error, never its content
            log.warning("/slack/events: a signed request could not be read (%s)", type(exc).__name__)
            return JSONResponse({"detail": "the request body could not be read"}, 400)
        return to_starlette_response(response)

    return slack_events


class SlackEventsFirst:
    """Answers `POST /slack/events` straight from the middleware stack, ahead of the CSRF and rate-limit
    layers (which let Slack's signed requests through anyway) and of the router and its dependency
    machinery; it sits inside SecurityHeaders, so its answers and errors still carry the headers."""

    def __init__(self, app: ASGIApp, endpoint: Endpoint) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/slack/events" and scope["method"] == "POST":
            response = await self.endpoint(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def slack_router(bolt: App, events: Endpoint) -> APIRouter:
    """The routes: `/slack/events` (SlackEventsFirst answers its POSTs first; here it is in the app's own
    routes, so other methods get a 405), and with per-workspace installs the OAuth pages."""
    router = APIRouter()
    router.add_api_route("/slack/events", events, methods=["POST"], include_in_schema=False)
    flow = bolt.oauth_flow
    if flow is None:
        return router

    @router.get(flow.install_path, include_in_schema=False)
    async def slack_install(request: Request) -> Response:
        return await _run(flow.handle_installation, request)

    @router.get(flow.redirect_uri_path, include_in_schema=False)
    async def slack_oauth_redirect(request: Request) -> Response:
        return await _run(flow.handle_callback, request)

    return router


# What the installer is told when Slack sends them back without an install, in words a ward manager can act on.
FAILURES = {
    "access_denied": "The install was cancelled in Slack, so nothing was added.",
    "invalid_browser": "This install was started in another browser, or took longer than ten minutes.",
    "invalid_state": "This install link has already been used or has expired.",
    "missing_code": "Slack did not confirm the install.",
    "invalid_code": "Slack did not confirm the install.",
    "storage_error": "The install could not be saved. Nothing was changed; please try again later.",
}


def install_pages() -> CallbackOptions:
    return CallbackOptions(success=_installed, failure=_install_failed)


def _installed(args: SuccessArgs) -> BoltResponse:
    team = args.installation.team_name or args.installation.team_id or "your workspace"
    html = templates.get_template("slack_installed.html.j2").render(user=None, team=team)
    return _html(200, html, args.settings.state_utils.build_set_cookie_for_deletion())


def _install_failed(args: FailureArgs) -> BoltResponse:
    detail = FAILURES.get(args.reason, "The install did not finish.")
    html = templates.get_template("slack_install_failed.html.j2").render(user=None, detail=detail)
    return _html(args.suggested_status_code, html, args.settings.state_utils.build_set_cookie_for_deletion())


def _html(status: int, body: str, set_cookie: str) -> BoltResponse:
    """A page that also drops the install's state cookie: whatever happened, that state is spent."""
    headers = {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": [set_cookie]}
    return BoltResponse(status=status, body=body, headers=headers)


async def _run(step: Callable[[BoltRequest], BoltResponse], request: Request) -> Response:
    return to_starlette_response(await run_in_threadpool(step, to_bolt_request(request, b"")))
