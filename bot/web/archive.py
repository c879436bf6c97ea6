"""The chat archive: a searchable list of chats (upcoming ones in the visitor's time), and each event's page.

The event page is the one `huddlebot report` writes (`analysis.report.render_page`, the single source
of its content), with pictures served from the drawing cache and CPD links to the web CPD log.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import func, or_, select

from analysis.activity import local_wall_time
from analysis.links import post_url
from analysis.report import PICTURES, render_page, section_numbers
from bot.web.common import MAX_ID, db_of, no_nul, now, page, settings_of, visible_event, zone_or_400
from bot.web.page_cache import Built, built_report, built_version, drawn_pictures, picture_dir, will_draw
from bot.web.visibility import is_public, public_clause
from transcripts.models import Event, MessageRow, Prompt

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 200
FIRST_SCREEN = 200  # posts of the transcript on the chat page itself; the rest are paged
TRANSCRIPT_PAGE = 500
KEEP_PAGES = 32
_pages: LRUCache[tuple[str, int, str], str] = LRUCache(maxsize=KEEP_PAGES)
_pages_lock = threading.Lock()


def _utc_of_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC moment of a local wall-clock time, held to the calendar's ends (years 1 and 9999)."""
    offset = wall.replace(tzinfo=zone).utcoffset() or timedelta(0)
    try:
        return (wall - offset).replace(tzinfo=UTC)
    except OverflowError:
        return (datetime.min if offset > timedelta(0) else datetime.max).replace(tzinfo=UTC)


def utc_range_of_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    """The UTC moments [start, end) of a local day; end None when the day is the calendar's last.

    Any date a visitor can type has a range: at the calendar's ends it is cut to what can be stored,
    so 9999-12-31 or 0001-01-01 in any zone lists the chats stored then (usually none), never fails.
    """
    midnight = datetime.combine(day, time(0))
    start = _utc_of_wall_time(midnight, zone)
    if day == date.max:
        return start, None
    return start, _utc_of_wall_time(midnight + timedelta(days=1), zone)


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment in the visitor's zone; in UTC when that zone would leave the calendar (years 1-9999)."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment.astimezone(UTC)


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
        query = query.where(Event.starts_at >= start)
        if end is not None:
            query = query.where(Event.starts_at < end)
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
                "local": in_zone(e.starts_at, zone),
                "own": in_zone(e.starts_at, ZoneInfo(e.timezone)),
                "questions": [
                    (p.number, p.text, in_zone(p.due_at, zone) if p.due_at else None) for p in questions[e.id]
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
        chats=[(e, n, in_zone(e.starts_at, zone), in_zone(e.starts_at, ZoneInfo(e.timezone))) for e, n in chats],
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
    built = built_report(db, event.id, stale_ok=event.status == "running")
    key = (db.url, event.id, built.version)
    with _pages_lock:
        html = _pages.get(key)
    if html is None:
        html = _render_event_page(request, event.id, built)
        with _pages_lock:
            _pages[key] = html
    return HTMLResponse(html)


def _render_event_page(request: Request, event_id: int, built: Built) -> str:
    """The chat page's first screen: the whole analysis, and the first FIRST_SCREEN posts of the transcript.

    Pictures are linked, not drawn here: the picture requests draw them (once per version), so the
    page does not wait for them.
    """
    report = built.report
    pictures = {
        name: (f"/events/{event_id}/pictures/{name}.png?v={built.version}" if wanted else None)
        for name, wanted in will_draw(built, Path(settings_of(request).output_dir)).items()
    }
    handles = sorted({report.snapshot.author(m).handle for m in report.snapshot.messages}, key=str.lower)
    cpd_links = [(h, f"/events/{event_id}/cpd?handle={quote(h)}") for h in handles]
    total = len(report.snapshot.messages)
    more = None
    if total > FIRST_SCREEN:
        more = (f"/events/{event_id}/transcript?start={FIRST_SCREEN}", f"The rest of the transcript ({total:,} posts)")
    return render_page(
        report, pictures, cpd_links=cpd_links, img_origin="'self'", first_screen=FIRST_SCREEN, more=more,
        settings=settings_of(request),
    )  # fmt: skip


@router.get("/events/{event_id}/transcript", response_class=HTMLResponse)
def transcript_page(request: Request, event_id: int, start: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> HTMLResponse:
    """One page of an event's posts in order, each under its question, with links to the pages either side."""
    event = visible_event(request, event_id)
    built = built_report(db_of(request), event.id, stale_ok=event.status == "running")
    report = built.report
    zone = ZoneInfo(report.snapshot.timezone)
    placed = section_numbers(report)
    titles = {q.number: f"Q{q.number}. {q.text}" for q in report.snapshot.questions}
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for m, number in placed[start : start + TRANSCRIPT_PAGE]:
        title = titles.get(number, f"Q{number}") if number is not None else "Before the first question"
        if not groups or groups[-1][0] != title:
            groups.append((title, []))
        person = report.snapshot.author(m)
        groups[-1][1].append(
            {
                "id": m.id,
                "handle": person.handle,
                "local": local_wall_time(m.created_at, zone).strftime("%d %b %H:%M"),
                "text": m.text,
                "is_repost": m.is_repost,
                "url": post_url(m.platform, m.platform_id, person.handle),
            }
        )
    end = min(start + TRANSCRIPT_PAGE, len(placed))
    return page(
        request,
        "transcript_page.html.j2",
        event=event,
        groups=groups,
        first=start + 1,
        last=end,
        total=len(placed),
        previous=max(0, start - TRANSCRIPT_PAGE) if start > 0 else None,
        next=end if end < len(placed) else None,
    )


@router.get("/events/{event_id}/pictures/{name}.png")
def picture(request: Request, event_id: int, name: str, v: str = "") -> FileResponse:
    event = visible_event(request, event_id)
    if name not in PICTURES or event_id > MAX_ID:
        raise HTTPException(404, "no such picture")
    output_dir = Path(settings_of(request).output_dir)
    running = event.status == "running"
    built = built_version(db_of(request), event.id, v) or built_report(db_of(request), event.id, stale_ok=running)
    path = picture_dir(output_dir, event.id, built.version) / f"{name}.png"
    if not drawn_pictures(built, output_dir)[name] or not path.exists():
        raise HTTPException(404, "no such picture")
    with db_of(request).session() as session:
        scope = "public" if is_public(session, event.id) else "private"
    cache = f"{scope}, max-age=31536000, immutable" if v == built.version else "no-cache"
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": cache})
