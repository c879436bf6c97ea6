"""A team's escalation scale and its current level, looked up in one place for Slack, the CLI and the web.

A team is a huddle channel: its newest active definition gives the levels and contacts (NHS England's
OPEL 1-4 when it names none), and every change of level is a `LevelChange` row with who and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.huddles.definitions import definition_for_channel, levels_for
from bot.slack.blocks import level_text
from config.huddle_definition import EscalationLevel, HuddleDefinition
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.models import LevelChange, utcnow

if TYPE_CHECKING:  # the Slack adapter lays out summaries that show a team's level
    from bot.platforms.slack import SlackPlatform


@dataclass(frozen=True)
class Team:
    channel: str
    definition_id: int | None
    definition: HuddleDefinition | None
    levels: list[EscalationLevel]
    contacts: list[str]  # where escalations go, in order; the team's own channel when none are named

    def level(self, number: int) -> EscalationLevel:
        """Level `number`, or the highest the team has when it has fewer."""
        return next((lv for lv in self.levels if lv.number == number), self.levels[-1])

    def contacts_for(self, number: int) -> list[str]:
        """Where an escalation at level `number` goes, in order: the level's own contacts, else the team's."""
        return list(self.level(number).contacts) or self.contacts

    @property
    def owner(self) -> str | None:
        return self.definition.owner if self.definition else None


@dataclass(frozen=True)
class CurrentLevel:
    change: LevelChange | None  # None: no level was ever set for this team
    level: EscalationLevel | None
    review: timedelta

    def out_of_date(self, now: datetime) -> bool:
        """A level not reviewed within its period is not live data, and staff stop trusting levels that aren't."""
        return self.change is not None and now - self.change.set_at > self.review

    def describe(self, now: datetime) -> str:
        if self.change is None or self.level is None:
            return "level not set"
        stale = " - *out of date*, please review" if self.out_of_date(now) else ""
        return f"{self.level.number} - {self.level.name} (set {self.change.set_at:%d %b %H:%M} UTC){stale}"


def team(session: Session, channel: str) -> Team:
    definition_id, definition = definition_for_channel(session, channel)
    contacts = list(definition.escalation_contacts) if definition else []
    return Team(channel, definition_id, definition, levels_for(definition), contacts or [channel])


def current_level(session: Session, channel: str) -> CurrentLevel:
    change = session.scalars(
        select(LevelChange)
        .where(LevelChange.team_channel == channel)
        .order_by(LevelChange.set_at.desc(), LevelChange.id.desc())
    ).first()
    the_team = team(session, channel)
    review = the_team.definition.level_review_period if the_team.definition else timedelta(hours=24)
    return CurrentLevel(change, the_team.level(change.level) if change else None, review)


def set_level(
    db: Database,
    slack: SlackPlatform | None,
    *,
    team_channel: str,
    level: int,
    set_by: str,
    reason: str,
    workspace: str | None = None,
) -> EscalationLevel:
    """Record the change and, with Slack, announce it in the team channel with the level's actions."""
    with db.session() as s:
        levels = team(s, team_channel).levels
        chosen = next((lv for lv in levels if lv.number == level), None)
        if chosen is None:
            raise RecordError("level", f"{level} is not one of this team's levels (1-{len(levels)})")
        s.add(
            LevelChange(
                workspace=workspace,
                team_channel=team_channel,
                level=level,
                set_by=set_by,
                reason=reason,
                set_at=utcnow(),
                actions_taken=list(chosen.actions),
            )
        )
    if slack is not None:
        slack.say(team_channel, level_text(chosen, set_by, reason))
    return chosen
