"""The Home tab: each team's escalation level with its actions, open escalations, and today's huddles.

A member sees their own workspace's teams only, by the one rule in `transcripts.workspaces`. A team
whose level was never set says so: a default shown as if someone had chosen it is how staff become
immune to levels. A huddle that could not be opened says why, where the team will look.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.escalation.levels import current_level
from bot.huddles import sessions
from bot.huddles.definitions import active_definitions
from bot.slack.blocks import escape, header, home, section
from transcripts.db import Database
from transcripts.models import Escalation, Event, utcnow
from transcripts.workspaces import belongs, belongs_clause


def home_view(db: Database, workspace: str | None, *, single_workspace: bool) -> View:
    out: list[Block] = [header("Escalation levels")]
    with db.session() as s:
        for _, definition in active_definitions(s):
            if not belongs(definition.workspace, workspace, single_workspace=single_workspace):
                continue
            level = current_level(s, definition.channel)
            described = escape(level.describe(utcnow()))
            if level.change is None or level.level is None:
                out.append(section(f"*<#{definition.channel}>* {escape(definition.name)}: *{described}*"))
                continue
            actions = "\n".join(f"- {escape(a)}" for a in level.level.actions)
            out.append(
                section(
                    f"*<#{definition.channel}>* {escape(definition.name)}: *{described}* "
                    f"by <@{level.change.set_by}>: {escape(level.change.reason)}\n{actions}"
                )
            )
        open_rows = list(
            s.scalars(
                select(Escalation)
                .where(
                    Escalation.status != "resolved",
                    belongs_clause(Escalation.workspace, workspace, single_workspace=single_workspace),
                )
                .order_by(Escalation.raised_at)
            )
        )
        out.append(header(f"Open escalations ({len(open_rows)})"))
        for e in open_rows:
            out.append(
                section(
                    f"#{e.id} level {e.level} in <#{e.team_channel}> ({e.status}): "
                    f"{escape(e.summary or 'no summary given')}"
                )
            )
        since = utcnow() - timedelta(hours=24)
        today = list(
            s.scalars(
                select(Event)
                .where(
                    Event.kind == "huddle",
                    Event.starts_at >= since,
                    belongs_clause(Event.workspace, workspace, single_workspace=single_workspace),
                )
                .order_by(Event.starts_at)
            )
        )
        out.append(header("Today's huddles"))
        for event in today:
            reason = sessions.failure_reason(s, event.id) if event.status == "failed" else None
            why = f": {reason}" if reason else ""  # our own words, with a channel link meant to work
            out.append(section(f"{escape(event.title)} in <#{event.channel}>: {event.status}{why}"))
    return home(out)
