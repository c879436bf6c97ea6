"""The live view of a running chat: answers appear under their question as they are captured.

The page polls `live.json?after=<last id>` every couple of seconds (no long-lived connections to
hold open through proxies and restarts); each poll returns only the posts it has not seen, with the
question each belongs to by the same rules as the chat page, and the running counts.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from analysis.links import post_url
from analysis.report import section_numbers
from bot.web.common import MAX_ID, db_of, page, visible_event
from bot.web.page_cache import built_report

router = APIRouter(include_in_schema=False)
TOP = 5


def live_state(request: Request, event_id: int, after: int) -> dict[str, Any]:
    built = built_report(db_of(request), event_id)
    report = built.report
    snap = report.snapshot
    zone = ZoneInfo(snap.timezone)
    placed = section_numbers(report)
    per_question = Counter(report.assignments[m.id].number for m, _ in placed if m.id in report.assignments)
    posts = Counter(snap.author(m).handle for m in snap.messages)
    messages = []
    for m, number in placed:
        if m.id <= after:
            continue
        person = snap.author(m)
        messages.append(
            {
                "id": m.id,
                "handle": person.handle,
                "text": m.text,
                "local": m.created_at.astimezone(zone).strftime("%H:%M"),
                "question": number,
                "is_repost": m.is_repost,
                "url": post_url(m.platform, m.platform_id, person.handle),
            }
        )
    return {
        "messages": messages,
        "last_id": max((m.id for m in snap.messages), default=0),
        "totals": {"messages": report.stats.messages, "contributors": report.stats.contributors},
        "answers": {str(n): c for n, c in per_question.items() if n is not None},
        "top": [{"handle": h, "posts": c} for h, c in sorted(posts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]],
        "questions": [{"number": q.number, "text": q.text} for q in snap.questions],
    }


@router.get("/events/{event_id}/live", response_class=HTMLResponse)
def live_page(request: Request, event_id: int) -> HTMLResponse:
    event = visible_event(request, event_id)
    state = live_state(request, event.id, 0)
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for m in state["messages"]:
        groups.setdefault(m["question"], []).append(m)
    return page(request, "live.html.j2", event=event, state=state, groups=groups)


@router.get("/events/{event_id}/live.json")
def live_json(request: Request, event_id: int, after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> dict[str, Any]:
    event = visible_event(request, event_id)
    return live_state(request, event.id, after)
