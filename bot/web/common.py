"""What every page shares: the template environment, the app's database and settings, and event access.

Tweet chats are public; everything from Slack belongs to its workspace, so only a signed-in member
of that workspace may see it (`visible_event` applies `bot.web.visibility` for every page that shows
an event).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from config.settings import Settings
from transcripts.db import Database
from transcripts.models import Event

templates = Environment(
    loader=PackageLoader("bot.web", "templates"),
    autoescape=select_autoescape(("html", "j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)
ZONES = frozenset(available_timezones())
MAX_ID = 2**31 - 1  # the largest id a 32-bit INTEGER column holds; bigger path ids are simply not found


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def db_of(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def page(
    request: Request, template: str, status_code: int = 200, headers: Mapping[str, str] | None = None, **context: Any
) -> HTMLResponse:
    from bot.web.auth import current_user

    html = templates.get_template(template).render(request=request, user=current_user(request), **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def zone_or_400(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The visitor's time zone by IANA name; an unknown name is the visitor's mistake, so 400."""
    wanted = name or default
    if wanted not in ZONES:
        raise HTTPException(400, f"tz: unknown time zone {wanted[:60]!r}")
    return ZoneInfo(wanted)


def no_nul(value: str | None, field: str) -> str | None:
    """PostgreSQL text cannot hold NUL; a query containing one is refused instead of failing in the driver."""
    if value is not None and "\x00" in value:
        raise HTTPException(400, f"{field}: NUL characters are not allowed")
    return value


def visible_event(request: Request, event_id: int) -> Event:
    """The event if this visitor may see it (`bot.web.visibility`): 401 to sign in, 403 if another workspace's."""
    from bot.web.auth import current_user
    from bot.web.visibility import visible_clause

    if not 1 <= event_id <= MAX_ID:
        raise HTTPException(404, "no such event")
    user = current_user(request)
    with db_of(request).session() as session:
        event = session.scalar(
            select(Event).where(
                Event.id == event_id, visible_clause(user.workspace if user else None, settings_of(request))
            )
        )
        if event is not None:
            session.expunge(event)
            return event
        if session.get(Event, event_id) is None:
            raise HTTPException(404, "no such event")
    if user is None:
        raise HTTPException(401, "sign in to see your team's huddles")
    raise HTTPException(403, "this belongs to another workspace")


def now() -> datetime:
    return datetime.now(UTC)
