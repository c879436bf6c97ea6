"""Which events load as compact posts: those with more than `compact_over` posts shown. The event's rows are
counted first (from an index) and the shown ones only when the rows are more, so the choice must still
follow the shown posts, whatever the deleted and withheld ones around them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.models import MessageRow
from transcripts.snapshot import CompactMessages, load_event

SEED_POSTS = 171


@pytest.mark.parametrize(
    ("compact_over", "compact"),
    [(0, True), (SEED_POSTS - 21, True), (SEED_POSTS - 20, False), (SEED_POSTS - 1, False), (SEED_POSTS, False)],
)
def test_compact_when_more_posts_are_shown_than_compact_over(
    db: Database, seed_chat: Path, compact_over: int, compact: bool
) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as session:
        ids = list(
            session.scalars(select(MessageRow.id).where(MessageRow.event_id == event_id).order_by(MessageRow.id))
        )
        assert len(ids) == SEED_POSTS
        session.execute(update(MessageRow).where(MessageRow.id.in_(ids[:12])).values(deleted_at=MessageRow.created_at))
        session.execute(update(MessageRow).where(MessageRow.id.in_(ids[-8:])).values(withheld_reason="PII"))
    with db.session() as session:
        loaded = load_event(session, event_id, compact_over=compact_over)
    assert len(loaded.messages) == SEED_POSTS - 20
    assert isinstance(loaded.messages, CompactMessages) is compact
    assert (type(loaded.messages) is list) is not compact
