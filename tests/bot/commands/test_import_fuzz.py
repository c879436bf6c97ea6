"""Property: every malformed file `huddlebot import` is given is refused the same way.

Exit status 2, at most three lines on stderr naming the file (and the line or field), no traceback,
and every table exactly as it was. Inputs are the three importers' formats broken by Hypothesis in
the ways listed in `bad_inputs`. CI runs a fixed-seed, bounded profile; `HYPOTHESIS_PROFILE=local`
runs a larger one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from tests.transcripts.bad_inputs import SlackExport, bad_pages, bad_slack_exports, bad_x_files
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.models import Base
from transcripts.samples import SEED_CHAT

LOCAL = os.environ.get("HYPOTHESIS_PROFILE") == "local"
FUZZ = settings(
    max_examples=2000 if LOCAL else 60,
    derandomize=not LOCAL,  # CI: the same examples every run
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def _fingerprint(url: str) -> str:
    """One digest of every row of every table, read on a connection of its own."""
    database = Database(url, migrate=False)
    digest = hashlib.sha256()
    try:
        with database.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for row in conn.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")):
                    digest.update(repr(tuple(row)).encode())
    finally:
        database.dispose()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def seeded_db() -> Iterator[tuple[str, str]]:
    """A SQLite record holding the seed chat, shared by every example: (url, fingerprint)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/fuzz.db"
        database = Database(url)
        import_path(database, SEED_CHAT)
        database.dispose()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            get_settings.cache_clear()
            yield url, _fingerprint(url)
        get_settings.cache_clear()


def _refused(seeded: tuple[str, str], path: Path) -> None:
    url, before = seeded
    result = CliRunner().invoke(app, ["import", str(path)])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.exit_code, result.stderr[-2000:], result.exception)
    assert "Traceback" not in result.output + result.stderr
    assert 1 <= len(lines) <= 3, lines
    assert str(path) in lines[-1] or path.name in lines[-1], lines
    assert _fingerprint(url) == before


@FUZZ
@given(case=bad_x_files())
def test_every_broken_x_file_is_refused_in_one_line(seeded_db: tuple[str, str], case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        _refused(seeded_db, path)


@FUZZ
@given(export=bad_slack_exports())
def test_every_broken_slack_export_is_refused_in_one_line(seeded_db: tuple[str, str], export: SlackExport) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "outside.json").write_text("[]")
        _refused(seeded_db, export.write(root))


@FUZZ
@given(case=bad_pages())
def test_every_broken_chat_page_is_refused_in_one_line(seeded_db: tuple[str, str], case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        _refused(seeded_db, path)


@pytest.mark.parametrize("as_zip", [False, True])
def test_the_unbroken_inputs_import(cli_db: str, tmp_path: Path, as_zip: bool) -> None:
    """The fuzz suite's inputs before they are broken import cleanly, so each refusal is the defect's."""
    import json

    from tests.transcripts.bad_inputs import SEED_TEXT, slack_files, x_page

    page = tmp_path / "page.txt"
    page.write_text(SEED_TEXT, encoding="utf-8")
    x_file = tmp_path / "x.json"
    x_file.write_text(json.dumps(x_page()))
    export = SlackExport({k: json.dumps(v).encode() for k, v in slack_files().items()}, as_zip).write(tmp_path)
    result = CliRunner().invoke(app, ["import", str(page), str(x_file), str(export)])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
