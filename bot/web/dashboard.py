"""The huddle dashboard, private to the team: escalation level and its actions, open escalations, huddles.

CQC asks that escalation plans be visible to all staff and kept current, so the page leads with each
team's current level and the actions agreed for it. A person sees only their own workspace's rows
(`transcripts.workspaces`), and its private conversations imported from Slack exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from bot.escalation.levels import team
from bot.web.auth import current_user
from bot.web.common import ZONES, db_of, now, page, settings_of
from bot.web.safety_board import safety_board
from bot.web.visibility import private_clause, single_workspace
from transcripts.models import Escalation, Event, LevelChange
from transcripts.workspaces import belongs_clause

router = APIRouter(include_in_schema=False)

PAST_HUDDLES = 30


@dataclass(slots=True)
class TeamLevel:
    channel: str
    level: int
    name: str
    actions: list[str]
    set_by: str
    set_at: datetime
    reason: str


def _age(since: datetime, moment: datetime) -> str:
    minutes = int((moment - since).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in to see your team's huddle dashboard")
    moment = now()
    settings = settings_of(request)
    single = single_workspace(settings)

    def own(column: Any) -> Any:
        return belongs_clause(column, user.workspace, single_workspace=single)

    with db_of(request).session() as session:
        changes = session.scalars(
            select(LevelChange)
            .where(own(LevelChange.workspace))
            .order_by(LevelChange.set_at.desc(), LevelChange.id.desc())
        )
        teams: dict[str, TeamLevel] = {}
        for change in changes:
            if change.team_channel in teams:
                continue
            chosen = team(session, change.team_channel).level(change.level)
            teams[change.team_channel] = TeamLevel(
                change.team_channel, chosen.number, chosen.name, list(chosen.actions), change.set_by, change.set_at,
                change.reason,
            )  # fmt: skip
        escalations = [
            {"e": e, "age": _age(e.raised_at, moment)}
            for e in session.scalars(
                select(Escalation)
                .where(own(Escalation.workspace), Escalation.status != "resolved")
                .order_by(Escalation.level.desc(), Escalation.raised_at)
            )
        ]
        huddles = list(
            session.scalars(
                select(Event)
                .where(Event.kind == "huddle", private_clause(user.workspace, settings))
                .order_by(Event.starts_at.desc(), Event.id.desc())
                .limit(PAST_HUDDLES + 20)
            )
        )
        boards = safety_board(session, user.workspace, moment, single_workspace=single)
        imported = list(
            session.scalars(
                select(Event)
                .where(Event.kind != "huddle", private_clause(user.workspace, settings))
                .order_by(Event.starts_at.desc(), Event.id.desc())
                .limit(PAST_HUDDLES)
            )
        )
        session.expunge_all()

    def is_today(e: Event) -> bool:
        zone = ZoneInfo(e.timezone if e.timezone in ZONES else "UTC")
        return e.starts_at.astimezone(zone).date() == moment.astimezone(zone).date()

    today = [e for e in huddles if is_today(e)]
    past = [e for e in huddles if not is_today(e) and e.starts_at < moment][:PAST_HUDDLES]
    return page(
        request,
        "dashboard.html.j2",
        teams=sorted(teams.values(), key=lambda t: t.channel),
        escalations=escalations,
        today=today,
        past=past,
        boards=boards,
        imported=imported,
        workspace=user.workspace,
    )
