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

from bot.web.auth import current_user
from bot.web.common import ZONES, db_of, now, page, settings_of
from bot.web.visibility import private_clause, single_workspace
from transcripts.models import Definition, Escalation, Event, LevelChange
from transcripts.workspaces import belongs_clause

router = APIRouter(include_in_schema=False)

# NHS England's OPEL levels, used when a huddle definition does not list its own.
OPEL_LEVELS: dict[int, tuple[str, list[str]]] = {
    1: ("OPEL 1", ["Able to maintain flow and meet anticipated demand within available resources."]),
    2: ("OPEL 2", ["Starting to show signs of pressure: focused actions to avoid further escalation."]),
    3: ("OPEL 3", ["Major pressures compromising flow: escalate to senior management and act on the plan."]),
    4: ("OPEL 4", ["Unable to deliver comprehensive care: invoke the organisation's full escalation plan."]),
}
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


def levels_of(body: dict[str, Any] | None) -> dict[int, tuple[str, list[str]]]:
    """A definition's escalation levels (number -> name, actions), read defensively; OPEL 1-4 otherwise."""
    raw = (body or {}).get("escalation_levels") or (body or {}).get("levels")
    if isinstance(raw, dict):
        raw = [{"level": k, **v} if isinstance(v, dict) else {"level": k, "actions": v} for k, v in raw.items()]
    levels: dict[int, tuple[str, list[str]]] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            number = int(item.get("level", item.get("number")))
        except (TypeError, ValueError):
            continue
        actions = item.get("actions") or []
        if isinstance(actions, str):
            actions = [actions]
        name = str(item.get("name") or item.get("label") or f"Level {number}")
        levels[number] = (name, [str(a) for a in actions if a])
    return levels or dict(OPEL_LEVELS)


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
        definitions = list(
            session.scalars(select(Definition).where(Definition.kind == "huddle", own(Definition.workspace)))
        )
        by_channel = {str(d.body.get("channel")): d for d in definitions if isinstance(d.body, dict)}
        changes = session.scalars(
            select(LevelChange)
            .where(own(LevelChange.workspace))
            .order_by(LevelChange.set_at.desc(), LevelChange.id.desc())
        )
        teams: dict[str, TeamLevel] = {}
        for change in changes:
            if change.team_channel in teams:
                continue
            definition = by_channel.get(change.team_channel)
            name, actions = levels_of(definition.body if definition else None).get(
                change.level, (f"Level {change.level}", [])
            )
            teams[change.team_channel] = TeamLevel(
                change.team_channel, change.level, name, actions, change.set_by, change.set_at, change.reason
            )
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
        imported=imported,
        workspace=user.workspace,
    )
