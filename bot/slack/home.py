"""The Home tab: each team's escalation level with its actions, open escalations, and today's huddles.

A member sees their own workspace's teams only. With a single bot token, rows recorded without a
workspace (added from the command line) belong to that one workspace too; with per-workspace
installs they belong to none, so nothing unassigned leaks from one workspace into another's tab.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import or_, select

from bot.escalation.levels import current_level
from bot.huddles.definitions import active_definitions
from bot.slack.blocks import escape
from transcripts.db import Database
from transcripts.models import Escalation, Event, utcnow


def _mine(column: Any, workspace: str | None, own_workspace_only: bool) -> Any:
    """The SQL form of `_is_mine`, for rows read with a query."""
    return column == workspace if own_workspace_only else or_(column == workspace, column.is_(None))


def _is_mine(value: str | None, workspace: str | None, own_workspace_only: bool) -> bool:
    return value == workspace or (value is None and not own_workspace_only)


def home_view(db: Database, workspace: str | None = None, *, own_workspace_only: bool = False) -> dict[str, Any]:
    out: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Escalation levels"}}]
    with db.session() as s:
        for _, definition in active_definitions(s):
            if not _is_mine(definition.workspace, workspace, own_workspace_only):
                continue
            change = current_level(s, definition.channel)
            number = change.level if change else 1
            lv = (
                definition.level(number)
                if number <= len(definition.escalation_levels)
                else definition.escalation_levels[-1]
            )
            actions = "\n".join(f"- {escape(a)}" for a in lv.actions)
            who = f" (set by <@{change.set_by}>: {escape(change.reason)})" if change else " (default)"
            out.append(
                _md(
                    f"*<#{definition.channel}>* {escape(definition.name)}: "
                    f"*{lv.number} - {escape(lv.name)}*{who}\n{actions}"
                )
            )
        open_rows = list(
            s.scalars(
                select(Escalation)
                .where(Escalation.status != "resolved", _mine(Escalation.workspace, workspace, own_workspace_only))
                .order_by(Escalation.raised_at)
            )
        )
        out.append({"type": "header", "text": {"type": "plain_text", "text": f"Open escalations ({len(open_rows)})"}})
        for e in open_rows:
            out.append(
                _md(
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
                    _mine(Event.workspace, workspace, own_workspace_only),
                )
                .order_by(Event.starts_at)
            )
        )
        out.append({"type": "header", "text": {"type": "plain_text", "text": "Today's huddles"}})
        for event in today:
            out.append(_md(f"{escape(event.title)} in <#{event.channel}>: {event.status}"))
    return {"type": "home", "blocks": out[:100]}


def _md(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def publish_home(
    db: Database, client: WebClient, user: str, workspace: str | None = None, *, own_workspace_only: bool = False
) -> None:
    client.views_publish(user_id=user, view=home_view(db, workspace, own_workspace_only=own_workspace_only))
