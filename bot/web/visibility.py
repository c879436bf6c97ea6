"""Who may see an event: the one rule every page and every JSON API endpoint applies.

Public: a tweet chat - kind "chat", no workspace, nothing from Slack (the posts were public already).
Private to a workspace: everything else - huddles, any event with a workspace, and anything from
Slack (an imported Slack export is a workspace's conversation, whatever kind it was stored as).
A private event is seen only by a signed-in member of the workspace it belongs to, as decided by
`transcripts.workspaces` (the one place that says which rows are a workspace's).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, and_, cast, exists, not_, or_, select
from sqlalchemy.orm import Session

from config.settings import Settings
from transcripts.models import Event, MessageRow
from transcripts.workspaces import belongs_clause

SLACK = "slack"


def single_workspace(settings: Settings) -> bool:
    """One bot token serves one workspace, so rows recorded without a workspace are that workspace's."""
    return settings.slack_bot_token is not None


def public_clause() -> Any:
    """SQL: the event is a public tweet chat."""
    from_slack = exists(select(MessageRow.id).where(MessageRow.event_id == Event.id, MessageRow.platform == SLACK))
    return and_(
        Event.kind == "chat",
        Event.workspace.is_(None),
        not_(cast(Event.platforms, Text).contains(f'"{SLACK}"')),
        not_(from_slack),
    )


def visible_clause(workspace: str | None, settings: Settings) -> Any:
    """SQL: the event is public, or private to `workspace` (the signed-in visitor's; None when signed out)."""
    if workspace is None:
        return public_clause()
    return or_(public_clause(), belongs_clause(Event.workspace, workspace, single_workspace=single_workspace(settings)))


def private_clause(workspace: str, settings: Settings) -> Any:
    """SQL: the event is private and belongs to `workspace` (what its dashboard lists)."""
    own = belongs_clause(Event.workspace, workspace, single_workspace=single_workspace(settings))
    return and_(not_(public_clause()), own)


def is_public(session: Session, event_id: int) -> bool:
    """Whether one event is a public tweet chat."""
    return session.scalar(select(Event.id).where(Event.id == event_id, public_clause())) is not None
