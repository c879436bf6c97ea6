"""The quality-improvement view of a workspace's huddles: open actions, harm-free streaks and a run chart.

A run chart (huddles held, attendance, concerns raised, by date) and the days since the last harm of
each kind are the measures a quality-improvement lead asks of a safety-huddle programme. Computed from
the record with the huddles' own rules, so the dashboard and Slack never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.huddles import safety
from bot.huddles.definitions import active_definitions
from bot.huddles.summary import huddle_summary
from transcripts.models import Event
from transcripts.workspaces import belongs

RUN_CHART_HUDDLES = 30


@dataclass(frozen=True, slots=True)
class RunPoint:
    day: date
    took_part: int
    concerns: int


@dataclass(slots=True)
class TeamBoard:
    channel: str
    name: str
    harm: list[safety.HarmTally] = field(default_factory=list)
    actions: list[safety.OpenAction] = field(default_factory=list)
    run: list[RunPoint] = field(default_factory=list)

    @property
    def most(self) -> int:
        return max([p.took_part for p in self.run] + [p.concerns for p in self.run] + [1])


def safety_board(session: Session, workspace: str, now: datetime, *, single_workspace: bool) -> list[TeamBoard]:
    boards = []
    for _, definition in active_definitions(session):
        if not belongs(definition.workspace, workspace, single_workspace=single_workspace):
            continue
        board = TeamBoard(definition.channel, definition.name)
        board.harm = safety.harm_tallies(session, definition, now)
        board.actions = safety.open_actions(session, definition.channel, now)
        events = session.scalars(
            select(Event)
            .where(Event.kind == "huddle", Event.channel == definition.channel, Event.status == "closed")
            .order_by(Event.starts_at.desc())
            .limit(RUN_CHART_HUDDLES)
        )
        zone = ZoneInfo(definition.timezone)
        for event in reversed(list(events)):
            summary = huddle_summary(session, event.id, [])
            board.run.append(
                RunPoint(event.starts_at.astimezone(zone).date(), len(summary.took_part), len(summary.concerns))
            )
        boards.append(board)
    return boards
