"""The live view of a running chat: answers appear under their question as they are captured.

The page polls `live.json?after=<last id>` every couple of seconds (no long-lived connections to
hold open through proxies and restarts); each poll returns only the posts it has not seen, with the
question each belongs to by the same rules as the chat page, and the running counts. Polls are
answered from the event's in-memory feed (`bot.web.live_feed`), brought up to date incrementally,
so a poll costs the same on a 50,000-post chat as on a small one.

The page itself holds only the latest FIRST_SCREEN posts; earlier ones are fetched a page at a time
(`live.json?before=<first id shown>`). Once the chat has ended the page says so and stops polling.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.web.common import MAX_ID, db_of, page, visible_event
from bot.web.live_feed import current_feed, feed_state
from bot.web.page_cache import prepare

router = APIRouter(include_in_schema=False)
FIRST_SCREEN = 200
PAGE = 500


@router.get("/events/{event_id}/live", response_class=HTMLResponse)
def live_page(request: Request, event_id: int) -> HTMLResponse:
    event = visible_event(request, event_id)
    feed = current_feed(db_of(request), event.id)
    if not feed.ended:
        prepare(db_of(request), event.id)  # the chat page's analysis, made while the chat is watched
    state = feed_state(feed, before=MAX_ID, limit=FIRST_SCREEN)
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for m in state["messages"]:
        groups.setdefault(m["question"], []).append(m)
    first = state["messages"][0]["id"] if state["messages"] else 0
    return page(request, "live.html.j2", event=event, state=state, groups=groups, first_id=first)


@router.get("/events/{event_id}/live.json")
def live_json(
    request: Request,
    event_id: int,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Earlier posts: ids below this")] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE)] = PAGE,
) -> Response:
    event = visible_event(request, event_id)
    state = feed_state(current_feed(db_of(request), event.id), after=after, before=before, limit=limit)
    return Response(orjson.dumps(state), media_type="application/json")  # plain data: no encoder walk needed
