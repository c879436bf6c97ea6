"""Every migration applies in order from empty, downgrades to base and back, and ends at the models' schema.

Walking each revision step by step means a future revision is covered the day it is added.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from transcripts.db import alembic_config, make_engine, upgrade
from transcripts.models import Base


def _current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def test_every_revision_upgrades_then_reaches_head_matching_the_models(db_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    revisions = [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]
    assert revisions and revisions[-1] == head
    engine = make_engine(db_url)
    try:
        for revision in revisions:
            _downgrade(engine, "base")
            assert _current(engine) is None
            for step in revisions[: revisions.index(revision) + 1]:
                upgrade(engine, step)
                assert _current(engine) == step
            upgrade(engine, "head")
            assert _current(engine) == head
        assert _differences(engine) == []
        _downgrade(engine, "base")
        assert _current(engine) is None
        upgrade(engine)
        assert _current(engine) == head
        assert _differences(engine) == []
    finally:
        engine.dispose()
