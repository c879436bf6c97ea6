"""The loop a safety huddle closes from one day to the next: actions followed up, and harm-free days.

IHI's and the Yorkshire HUSH programme's safety huddles look back (harm since yesterday), look ahead
and follow up (open actions, each with an owner and a due time); teams keep a days-since-last-harm
tally per kind and celebrate milestones. These are the record's rules for both, with no Slack in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.huddle_definition import HuddleDefinition
from transcripts.models import Action, Event, HarmEvent, utcnow


@dataclass(frozen=True, slots=True)
class OpenAction:
    id: int
    what: str
    owner: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True, slots=True)
class HarmTally:
    kind: str
    days: int | None  # None: no harm of this kind recorded yet
    milestone: int | None  # a milestone reached since the team's previous huddle, to celebrate


def due_at_end_of(day: date, zone: str) -> datetime:
    """An action due "on" a day is due by the end of that day where the team is."""
    return datetime.combine(day, time(23, 59), ZoneInfo(zone))


def add_action(
    session: Session,
    *,
    team_channel: str,
    what: str,
    owner: str,
    due_at: datetime,
    created_by: str,
    workspace: str | None,
    event_id: int | None = None,
) -> int:
    action = Action(
        team_channel=team_channel, what=what, owner=owner, due_at=due_at, created_by=created_by,
        workspace=workspace, event_id=event_id,
    )  # fmt: skip
    session.add(action)
    session.flush()
    return action.id


def open_actions(session: Session, team_channel: str, now: datetime) -> list[OpenAction]:
    rows = session.scalars(
        select(Action)
        .where(Action.team_channel == team_channel, Action.status == "open")
        .order_by(Action.due_at, Action.id)
    )
    return [OpenAction(a.id, a.what, a.owner, a.due_at, a.due_at < now) for a in rows]


def close_action(session: Session, action_id: int, user: str) -> str:
    """Done, by its owner: returns what happened, in words for the person who clicked."""
    action = session.get(Action, action_id)
    if action is None:
        return "That action no longer exists."
    if action.status == "done":
        return f"Already done ({action.done_at:%d %b %H:%M} UTC)."
    if action.owner != user:
        return f"Only its owner, <@{action.owner}>, can close this action."
    action.status, action.done_at = "done", utcnow()
    return f"Done: {action.what}"


def record_harm(
    session: Session, definition: HuddleDefinition, *, kind: str, recorded_by: str, workspace: str | None
) -> str:
    """A harm of one of the team's kinds, now; raises ValueError naming the kinds when `kind` is not one."""
    wanted = kind.strip().lower()
    match = next((k for k in definition.harm_kinds if k.lower() == wanted or k.lower().startswith(wanted)), None)
    if not wanted or match is None:
        raise ValueError(f"say which kind of harm: {', '.join(definition.harm_kinds)}")
    now = utcnow()
    session.add(
        HarmEvent(
            team_channel=definition.channel, kind=match, occurred_at=now, recorded_by=recorded_by, workspace=workspace
        )
    )
    return match


def harm_tallies(session: Session, definition: HuddleDefinition, now: datetime) -> list[HarmTally]:
    """Days since the last harm of each kind, and any milestone crossed since the team's previous huddle."""
    zone = ZoneInfo(definition.timezone)
    last = dict(
        session.execute(
            select(HarmEvent.kind, func.max(HarmEvent.occurred_at))
            .where(HarmEvent.team_channel == definition.channel)
            .group_by(HarmEvent.kind)
        ).all()
    )
    previous = session.scalar(
        select(Event.starts_at)
        .where(Event.kind == "huddle", Event.channel == definition.channel, Event.starts_at < now - timedelta(hours=1))
        .order_by(Event.starts_at.desc())
    )
    tallies = []
    for kind in definition.harm_kinds:
        since = last.get(kind)
        if since is None:
            tallies.append(HarmTally(kind, None, None))
            continue
        days = (now.astimezone(zone).date() - since.astimezone(zone).date()).days
        before = (previous.astimezone(zone).date() - since.astimezone(zone).date()).days if previous else -1
        crossed = [m for m in definition.milestones if before < m <= days]
        tallies.append(HarmTally(kind, days, max(crossed) if crossed else None))
    return tallies
