"""Slack's HTTP endpoint, `/slack/events`, handing requests to the Bolt app.

Bolt's dispatch is synchronous (signature check, ack); it runs in the thread pool so a slow database
never stalls the event loop that other requests share.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool


def slack_router(bolt: App) -> APIRouter:
    router = APIRouter()

    @router.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    return router
