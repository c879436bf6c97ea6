"""Every migration applies in order from empty, downgrades to base and back, and ends at the models' schema.

Walking each revision step by step means a future revision is covered the day it is added.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from transcripts.db import HEAD_REVISION, alembic_config, make_engine, upgrade
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


def test_the_head_the_record_knows_is_alembics_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_a_database_at_head_opens_without_loading_alembic_and_an_older_one_is_migrated(db_url: str) -> None:
    opened = (
        "import sys; from transcripts.db import Database; Database(sys.argv[1]).dispose(); "
        "print('alembic' in sys.modules)"
    )
    run = [sys.executable, "-c", opened, db_url]
    root = str(Path(__file__).resolve().parents[2])
    assert subprocess.run(run, check=True, capture_output=True, text=True, cwd=root).stdout.split() == ["True"]
    assert subprocess.run(run, check=True, capture_output=True, text=True, cwd=root).stdout.split() == ["False"]
    engine = make_engine(db_url)
    try:
        _downgrade(engine, "0007")
        assert subprocess.run(run, check=True, capture_output=True, text=True, cwd=root).stdout.split() == ["True"]
        assert _current(engine) == HEAD_REVISION
    finally:
        engine.dispose()
