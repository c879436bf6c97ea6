"""A database that cannot be opened is one line naming DATABASE_URL and why, never the password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from config.settings import get_settings
from tests.conftest import TEST_DATABASE_URL
from transcripts.db import Database
from transcripts.models import Event
from transcripts.samples import SEED_CHAT


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> tuple[int, list[str], str]:
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
    return result.exit_code, [line for line in result.stderr.splitlines() if line.strip()], result.output


def test_unreachable_postgresql_is_one_line_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgres://nurse:s3cret-pw@127.0.0.1:{_closed_port()}/huddlebot"
    code, lines, output = _run(monkeypatch, url, "import", str(SEED_CHAT))
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("huddlebot: DATABASE_URL (postgresql+psycopg://nurse:***@127.0.0.1:")
    assert "cannot connect" in lines[0] and "refused" in lines[0].lower()
    assert "s3cret-pw" not in output and "Traceback" not in output


def test_a_missing_sqlite_folder_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/huddlebot.db"
    code, lines, _ = _run(monkeypatch, url, "report", "--latest")
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == f"huddlebot: DATABASE_URL ({url}): the folder {tmp_path}/no/such/folder does not exist"
    assert not (tmp_path / "no").exists()


def test_an_address_that_is_not_a_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines, _ = _run(monkeypatch, "mysql+nosuchdriver://u:pw@h/db", "report", "--latest")
    assert code == 2 and len(lines) == 1 and lines[0].startswith("huddlebot: DATABASE_URL (") and "pw" not in lines[0]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_postgres_scheme_imports_into_postgresql(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL case")
    heroku_form = "postgres://" + db_url.split("://", 1)[1]
    code, lines, output = _run(monkeypatch, heroku_form, "import", str(SEED_CHAT))
    assert code == 0, lines
    assert "171 new messages" in output
    assert make_url(Database(db_url).url).get_backend_name() == "postgresql"


def test_two_first_imports_at_once_on_a_new_sqlite_file_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new.db"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": os.environ.get("PYTHONPATH", os.getcwd())}
    pages = []
    for n in range(3):  # three chats at different hours, so each import writes an event of its own
        page = tmp_path / f"chat{n}.txt"
        page.write_text(SEED_CHAT.read_text(encoding="utf-8").replace("2020 8pm", f"2020 {n + 5}pm", 1))
        pages.append(page)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "import", str(page)], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        for page in pages
    ]  # fmt: skip
    outcomes = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    database = Database(url)
    try:
        with database.session() as s:
            assert len(s.scalars(select(Event)).all()) == 3
    finally:
        database.dispose()
