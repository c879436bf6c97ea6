"""The chat archive: a searchable list of chats (upcoming ones in the visitor's time), and each event's page.

The event page is the one `huddlebot report` writes (`analysis.report.render_page`, the single source
of its content), with pictures served from the drawing cache and CPD links to the web CPD log.

A large chat's analysis takes many seconds, so until its first build is done (`page_cache.ready_build`)
its page is made from a few indexed queries instead: the chat's details and questions, its totals, and
the first posts in the order they were posted, with a line saying the analysis is being prepared and
a refresh (a meta refresh: the pages run no script). Its transcript pages are plain pages of posts in
that order meanwhile; the question sections come with the analysis.
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
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from analysis.activity import local_wall_time
from analysis.cpd_offer import cpd_offered
from analysis.links import post_url
from analysis.report import PICTURES, render_page, section_numbers
from bot.web.common import MAX_ID, db_of, no_nul, now, page, settings_of, visible_event, zone_or_400
from bot.web.page_cache import (
    PREPARING_REFRESH,
    Built,
    Preparing,
    analysed,
    built_version,
    drawn_pictures,
    ready_build,
    will_draw,
)
from bot.web.picture_files import picture_dir
from bot.web.visibility import is_public, public_clause
from transcripts.models import DELETED_BY_AUTHOR, SHOWN, Event, MessageRow, Participant, Prompt

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 200
FIRST_SCREEN = 200  # posts of the transcript on the chat page itself; the rest are paged
TRANSCRIPT_PAGE = 500
KEEP_PAGES = 32
_pages: LRUCache[tuple[str, int, str], str] = LRUCache(maxsize=KEEP_PAGES)
_pages_lock = threading.Lock()
# What the "being prepared" page shows from the record, per version: it refreshes every few seconds.
_first_screens: LRUCache[tuple[str, int, str], dict[str, Any]] = LRUCache(maxsize=KEEP_PAGES)


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
                .where(MessageRow.event_id.in_([e.id for e in events]), SHOWN)
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
    built = ready_build(db, event.id, stale_ok=event.status == "running")
    if isinstance(built, Preparing):
        return _preparing_page(request, event, built.version)
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
    with db_of(request).session() as session:
        offered = cpd_offered(session, event_id)
    handles = sorted({report.snapshot.author(m).handle for m in report.snapshot.messages}, key=str.lower)
    cpd_links = [(h, f"/events/{event_id}/cpd?handle={quote(h)}") for h in handles] if offered else []
    total = len(report.snapshot.messages)
    more = None
    if total > FIRST_SCREEN:
        more = (f"/events/{event_id}/transcript?start={FIRST_SCREEN}", f"The rest of the transcript ({total:,} posts)")
    return render_page(
        report, pictures, cpd_links=cpd_links, cpd_offered=offered, img_origin="'self'", first_screen=FIRST_SCREEN,
        more=more,
        settings=settings_of(request),
    )  # fmt: skip


def _visible_posts(event_id: int) -> Any:
    """SQL: the event's posts that its page shows and counts (as `load_event`: not deleted, not withheld)."""
    return and_(MessageRow.event_id == event_id, SHOWN)


def _shown_post(
    id_: int,
    platform: str,
    platform_id: str,
    handle: str,
    text: str,
    created_at: datetime,
    is_repost: bool,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """A post as the transcript pages show it."""
    return {
        "id": id_,
        "handle": handle,
        "local": local_wall_time(created_at, zone).strftime("%d %b %H:%M"),
        "text": text,
        "is_repost": bool(is_repost),
        "url": post_url(platform, platform_id, handle),
    }


def _posts_in_order(session: Session, event_id: int, zone: ZoneInfo, start: int, limit: int) -> list[dict[str, Any]]:
    """`limit` of the event's shown posts from the `start`th, in the order posted: one indexed query, no analysis."""
    rows = session.execute(
        select(
            MessageRow.id, MessageRow.platform, MessageRow.platform_id, Participant.handle, MessageRow.text,
            MessageRow.created_at, MessageRow.is_repost,
        )
        .join(Participant, Participant.id == MessageRow.participant_id)
        .where(_visible_posts(event_id))
        .order_by(MessageRow.created_at, MessageRow.id)
        .offset(start)
        .limit(limit)
    )  # fmt: skip
    return [_shown_post(*row, zone) for row in rows]


def _count_posts(session: Session, event_id: int) -> int:
    return session.scalar(select(func.count(MessageRow.id)).where(_visible_posts(event_id))) or 0


def _preparing_page(request: Request, event: Event, version: str) -> HTMLResponse:
    """The chat page while its analysis is made: what a few indexed queries give, and a refresh."""
    zone = ZoneInfo(event.timezone)
    key = (db_of(request).url, event.id, version)
    with _pages_lock:
        shown = _first_screens.get(key)
    if shown is None:
        shown = _first_screen(request, event, zone)
        with _pages_lock:
            _first_screens[key] = shown
    start = in_zone(event.starts_at, zone)
    first = shown["first"]
    response = page(
        request,
        "chat_preparing.html.j2",
        event=event,
        weekday=start.strftime("%A"),
        local_date=start.strftime("%d %B %Y").lstrip("0"),
        local_start=start.strftime("%H:%M"),
        questions=shown["questions"],
        posts=shown["posts"],
        contributors=shown["contributors"],
        deleted=shown["deleted"],
        groups=[("The first posts, in the order they were posted", first)] if first else [],
        more=f"/events/{event.id}/transcript?start={len(first)}" if shown["posts"] > len(first) else None,
        refresh=PREPARING_REFRESH,
    )
    response.headers["Cache-Control"] = "no-store"  # the full page replaces it at the same address
    return response


def _first_screen(request: Request, event: Event, zone: ZoneInfo) -> dict[str, Any]:
    """The record's part of the page being prepared: its totals, questions and first posts.

    The totals are counted by the rules the analysed page counts by (`load_event`'s shown posts, their
    distinct authors, deleted ones apart), so they read the same when the full page replaces this one.
    """
    with db_of(request).session() as session:
        posts, contributors = session.execute(
            select(func.count(MessageRow.id), func.count(func.distinct(MessageRow.participant_id))).where(
                _visible_posts(event.id)
            )
        ).one()
        deleted = session.scalar(
            select(func.count(MessageRow.id)).where(MessageRow.event_id == event.id, DELETED_BY_AUTHOR)
        )
        prompts = session.scalars(select(Prompt).where(Prompt.event_id == event.id, Prompt.kind == "question")).all()
        questions = [
            (p.number, p.text, _local_hm(p.posted_at or p.due_at, zone))
            for p in sorted(prompts, key=lambda p: (p.number or 0, p.id))
        ]
        first = _posts_in_order(session, event.id, zone, 0, FIRST_SCREEN)
    return {
        "posts": posts,
        "contributors": contributors,
        "deleted": deleted or 0,
        "questions": questions,
        "first": first,
    }


def _local_hm(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return local_wall_time(moment, zone).strftime("%H:%M") if moment is not None else None


@router.get("/events/{event_id}/transcript", response_class=HTMLResponse)
def transcript_page(request: Request, event_id: int, start: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> HTMLResponse:
    """One page of an event's posts in order, each under its question, with links to the pages either side.

    While a large chat's first analysis is made, the page is the posts in the order posted, without sections.
    """
    event = visible_event(request, event_id)
    built = ready_build(db_of(request), event.id, stale_ok=event.status == "running")
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    if isinstance(built, Preparing):
        zone = ZoneInfo(event.timezone)
        with db_of(request).session() as session:
            total = _count_posts(session, event.id)
            posts = _posts_in_order(session, event.id, zone, start, TRANSCRIPT_PAGE)
        if posts:
            groups.append(("In the order they were posted", posts))
    else:
        report = built.report
        zone = ZoneInfo(report.snapshot.timezone)
        placed = section_numbers(report)
        total = len(placed)
        titles = {q.number: f"Q{q.number}. {q.text}" for q in report.snapshot.questions}
        for m, number in placed[start : start + TRANSCRIPT_PAGE]:
            title = titles.get(number, f"Q{number}") if number is not None else "Before the first question"
            if not groups or groups[-1][0] != title:
                groups.append((title, []))
            handle = report.snapshot.author(m).handle
            groups[-1][1].append(
                _shown_post(m.id, m.platform, m.platform_id, handle, m.text, m.created_at, m.is_repost, zone)
            )
    end = min(start + TRANSCRIPT_PAGE, total)
    return page(
        request,
        "transcript_page.html.j2",
        event=event,
        groups=groups,
        first=start + 1,
        last=end,
        total=total,
        previous=max(0, start - TRANSCRIPT_PAGE) if start > 0 else None,
        next=end if end < total else None,
        preparing=isinstance(built, Preparing),
    )


@router.get("/events/{event_id}/pictures/{name}.png")
def picture(request: Request, event_id: int, name: str, v: str = "") -> Response:
    event = visible_event(request, event_id)
    if name not in PICTURES or event_id > MAX_ID:
        raise HTTPException(404, "no such picture")
    output_dir = Path(settings_of(request).output_dir)
    running = event.status == "running"
    built = built_version(db_of(request), event.id, v) or analysed(db_of(request), event.id, stale_ok=running)
    path = picture_dir(output_dir, event.id, built.version) / f"{name}.png"
    if not drawn_pictures(built, output_dir)[name] or not path.exists():
        raise HTTPException(404, "no such picture")
    with db_of(request).session() as session:
        scope = "public" if is_public(session, event.id) else "private"
    cache = f"{scope}, max-age=31536000, immutable" if v == built.version else "no-cache"
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": cache})
