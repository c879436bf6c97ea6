"""Slack's HTTP endpoints: `/slack/events`, and with per-workspace installs `/slack/install` and
`/slack/oauth_redirect`, all handed to the Bolt app.

Bolt's dispatch and OAuth flow are synchronous (signature check, ack, token exchange, store write);
they run in the thread pool so a slow database or Slack never stalls the event loop that other
requests share.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from starlette.concurrency import run_in_threadpool

from bot.web.common import templates


def slack_router(bolt: App) -> APIRouter:
    router = APIRouter()

    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

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
