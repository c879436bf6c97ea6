"""Which events offer CPD logs: kept apart from the log writer so a page can ask without loading Word."""

from __future__ import annotations

from sqlalchemy.orm import Session

from config.huddle_definition import HuddleDefinition
from transcripts.models import Definition, Event


def cpd_offered(session: Session, event_id: int) -> bool:
    """Chats always offer CPD logs; a huddle only when its definition says `cpd_logs: true`.

    The NMC counts learning outside everyday practice, and a daily huddle is everyday practice.
    """
    event = session.get(Event, event_id)
    if event is None or event.kind != "huddle":
        return event is not None
    definition = session.get(Definition, event.definition_id) if event.definition_id else None
    return definition is not None and HuddleDefinition.model_validate(definition.body).cpd_logs
