"""The chat archive: a searchable list of chats (upcoming ones in the visitor's time), and each event's page.

The event page is the one `huddlebot report` writes (`analysis.report.render_page`, the single source
of its content), with pictures served from the drawing cache and CPD links to the web CPD log.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import func, or_, select

from analysis.report import PICTURES, render_page
from bot.web.common import MAX_ID, db_of, no_nul, now, page, settings_of, visible_event, zone_or_400
from bot.web.page_cache import built_report, drawn_pictures, picture_dir
from bot.web.visibility import is_public, public_clause
from transcripts.models import Event, MessageRow, Prompt

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 200
_pages: OrderedDict[tuple[str, int, str], str] = OrderedDict()
_pages_lock = threading.Lock()
KEEP_PAGES = 32


def utc_range_of_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, start + timedelta(days=1)


def find_chats(
    request: Request,
    *,
    q: str | None,
    hashtag: str | None,
    on: date | None,
    zone: ZoneInfo,
    limit: int = LIST_LIMIT,
    offset: int = 0,
) -> list[tuple[Event, int]]:
    """Chats matching the search (title or hashtag contains q; exact hashtag; local date), newest first."""
    query = select(Event).where(public_clause())
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(Event.title.ilike(like), Event.hashtag.ilike(like), Event.topic.ilike(like)))
    if hashtag:
        query = query.where(func.lower(Event.hashtag) == "#" + hashtag.strip().lstrip("#").lower())
    if on:
        start, end = utc_range_of_day(on, zone)
        query = query.where(Event.starts_at >= start, Event.starts_at < end)
    with db_of(request).session() as session:
        events = list(session.scalars(query.order_by(Event.starts_at.desc(), Event.id).limit(limit).offset(offset)))
        counts = dict(
            session.execute(
                select(MessageRow.event_id, func.count(MessageRow.id))
                .where(MessageRow.event_id.in_([e.id for e in events]), MessageRow.deleted_at.is_(None))
                .group_by(MessageRow.event_id)
            ).all()
        )
        session.expunge_all()
    return [(e, counts.get(e.id, 0)) for e in events]


def _upcoming(request: Request, zone: ZoneInfo) -> list[dict[str, Any]]:
    with db_of(request).session() as session:
        events = list(
            session.scalars(
                select(Event)
                .where(public_clause(), Event.starts_at >= now(), Event.status == "scheduled")
                .order_by(Event.starts_at)
                .limit(20)
            )
        )
        questions: dict[int, list[Prompt]] = {e.id: [] for e in events}
        for p in session.scalars(
            select(Prompt)
            .where(Prompt.event_id.in_(list(questions)), Prompt.kind == "question")
            .order_by(Prompt.number, Prompt.id)
        ):
            questions[p.event_id].append(p)
        return [
            {
                "event": e,
                "local": e.starts_at.astimezone(zone),
                "own": e.starts_at.astimezone(ZoneInfo(e.timezone)),
                "questions": [
                    (p.number, p.text, p.due_at.astimezone(zone) if p.due_at else None) for p in questions[e.id]
                ],
            }
            for e in events
        ]


@router.get("/", response_class=HTMLResponse)
def archive(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    hashtag: Annotated[str | None, Query(max_length=100)] = None,
    on: Annotated[date | None, Query(alias="date")] = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    no_nul(q, "q")
    no_nul(hashtag, "hashtag")
    zone = zone_or_400(tz)
    chats = find_chats(request, q=q, hashtag=hashtag, on=on, zone=zone)
    return page(
        request,
        "archive.html.j2",
        chats=[(e, n, e.starts_at.astimezone(zone)) for e, n in chats],
        upcoming=_upcoming(request, zone),
        q=q or "",
        hashtag=hashtag or "",
        on=on.isoformat() if on else "",
        tz=zone.key,
        now=now(),
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int) -> HTMLResponse:
    event = visible_event(request, event_id)
    db = db_of(request)
    built = built_report(db, event.id)
    key = (db.url, event.id, built.version)
    with _pages_lock:
        html = _pages.get(key)
    if html is None:
        report = built.report
        drawn = drawn_pictures(built, Path(settings_of(request).output_dir))
        pictures = {
            name: (f"/events/{event.id}/pictures/{name}.png?v={built.version}" if drawn[name] else None)
            for name in PICTURES
        }
        handles = sorted({report.snapshot.author(m).handle for m in report.snapshot.messages}, key=str.lower)
        cpd_links = [(h, f"/events/{event.id}/cpd?handle={quote(h)}") for h in handles]
        html = render_page(report, pictures, cpd_links=cpd_links, img_origin="'self'")
        with _pages_lock:
            _pages[key] = html
            while len(_pages) > KEEP_PAGES:
                _pages.popitem(last=False)
    return HTMLResponse(html)


@router.get("/events/{event_id}/pictures/{name}.png")
def picture(request: Request, event_id: int, name: str, v: str = "") -> FileResponse:
    event = visible_event(request, event_id)
    if name not in PICTURES or event_id > MAX_ID:
        raise HTTPException(404, "no such picture")
    output_dir = Path(settings_of(request).output_dir)
    built = built_report(db_of(request), event.id)
    path = picture_dir(output_dir, event.id, built.version) / f"{name}.png"
    if not drawn_pictures(built, output_dir)[name] or not path.exists():
        raise HTTPException(404, "no such picture")
    with db_of(request).session() as session:
        scope = "public" if is_public(session, event.id) else "private"
    cache = f"{scope}, max-age=31536000, immutable" if v == built.version else "no-cache"
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": cache})
