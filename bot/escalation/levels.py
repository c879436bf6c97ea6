"""The team's current escalation level: every change is a `LevelChange` row with who and why."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.huddles.definitions import definition_for_channel, levels_for
from bot.slack.blocks import level_text
from config.huddle_definition import EscalationLevel
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.models import LevelChange, utcnow


def current_level(session: Session, team_channel: str) -> LevelChange | None:
    return session.scalars(
        select(LevelChange)
        .where(LevelChange.team_channel == team_channel)
        .order_by(LevelChange.set_at.desc(), LevelChange.id.desc())
    ).first()


def set_level(
    db: Database,
    client: WebClient | None,
    *,
    team_channel: str,
    level: int,
    set_by: str,
    reason: str,
    workspace: str | None = None,
) -> EscalationLevel:
    """Record the change and, with a client, announce it in the team channel with the level's actions."""
    with db.session() as s:
        _, definition = definition_for_channel(s, team_channel)
        levels = levels_for(definition)
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
            )
        )
    if client is not None:
        client.chat_postMessage(channel=team_channel, text=level_text(chosen, set_by, reason))
    return chosen
