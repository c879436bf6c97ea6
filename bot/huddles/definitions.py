"""Huddle definitions as rows of the record, so the worker and the web app see the same set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.huddle_definition import DEFAULT_LEVELS, EscalationLevel, HuddleDefinition
from transcripts.models import Definition


def add_definition(session: Session, definition: HuddleDefinition) -> int:
    row = Definition(
        kind="huddle", name=definition.name, workspace=definition.workspace, body=definition.model_dump(mode="json")
    )
    session.add(row)
    session.flush()
    return row.id


def active_definition_rows(session: Session) -> list[tuple[int, datetime, HuddleDefinition]]:
    """(id, when added, definition) of every active huddle, read back through the model."""
    rows = session.scalars(
        select(Definition).where(Definition.kind == "huddle", Definition.status == "active").order_by(Definition.id)
    )
    return [(row.id, row.created_at, HuddleDefinition.model_validate(row.body)) for row in rows]


def active_definitions(session: Session) -> list[tuple[int, HuddleDefinition]]:
    return [(row_id, definition) for row_id, _, definition in active_definition_rows(session)]


def definition_for_channel(session: Session, channel: str) -> tuple[int | None, HuddleDefinition | None]:
    """The newest active huddle in `channel`: its levels and contacts govern escalations raised there."""
    row = session.scalars(
        select(Definition)
        .where(
            Definition.kind == "huddle",
            Definition.status == "active",
            Definition.body["channel"].as_string() == channel,
        )
        .order_by(Definition.id.desc())
    ).first()
    if row is None:
        return None, None
    return row.id, HuddleDefinition.model_validate(row.body)


def levels_for(definition: HuddleDefinition | None) -> list[EscalationLevel]:
    return list(definition.escalation_levels) if definition else list(DEFAULT_LEVELS)
