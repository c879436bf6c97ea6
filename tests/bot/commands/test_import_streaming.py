"""`huddlebot import` reads each file once and stores a long X JSONL file as it reads it (issue 16).

Files here are longer than one store batch (`STORE_BATCH` posts), so rows of the file are already
written when a bad line late in it is read: the whole file must still leave the record as it was.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.commands.conftest import count_rows
from tests.bot.commands.test_import_fuzz import _fingerprint
from tests.transcripts.bad_inputs import slack_files
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.importers.base import STORE_BATCH
from transcripts.models import Event, MessageRow
from transcripts.samples import SEED_CHAT

PAGE = 100  # posts per line, as twarc2 writes pages
POSTS = 2 * STORE_BATCH + 5 * PAGE  # three batches
USERS = [{"id": str(500 + i), "username": f"user{i}", "name": f"User {i}"} for i in range(7)]

_OPENED: list[str] = []
_WATCHED: set[str] = set()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and args and isinstance(args[0], str | Path) and str(args[0]) in _WATCHED:
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # Python's own record of every file opened: the real surface, nothing patched


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Paths added to the returned list's watch set are recorded each time anything opens them."""
    _OPENED.clear()
    yield _OPENED
    _WATCHED.clear()
    _OPENED.clear()


def _tweet(n: int, tag: str = "WeNurses") -> dict[str, Any]:
    second = n * 3600 // POSTS
    return {
        "id": str(1_790_000_000_000_000_000 + n),
        "author_id": USERS[0 if n % 1000 == 0 else n % len(USERS)]["id"],  # the host asks every 1000th
        "text": f"Q{n // 1000 + 1}: post {n} #{tag}" if n % 1000 == 0 else f"A1 post number {n} #{tag}",
        "created_at": f"2024-05-01T19:{second // 60:02d}:{second % 60:02d}.000Z",
        "conversation_id": str(1_790_000_000_000_000_000 + n),
        "entities": {"hashtags": [{"tag": tag}]},
    }


def _lines(tweets: list[dict[str, Any]]) -> list[str]:
    return [
        json.dumps({"data": tweets[i : i + PAGE], "includes": {"users": USERS}}) for i in range(0, len(tweets), PAGE)
    ]


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def _chat(tmp_path: Path, name: str = "chat.jsonl") -> tuple[Path, list[str]]:
    lines = _lines([_tweet(n) for n in range(POSTS)])
    return _write(tmp_path / name, lines), lines


def _slack_zip(root: Path) -> Path:
    for name, value in slack_files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(value))
    return Path(shutil.make_archive(str(root), "zip", root))


def test_the_cli_opens_each_file_once(cli_db: str, tmp_path: Path, opened: list[str]) -> None:
    chat, _ = _chat(tmp_path)
    page = tmp_path / "page.txt"
    page.write_text(SEED_CHAT.read_text(encoding="utf-8"), encoding="utf-8")
    export = _slack_zip(tmp_path / "export")
    _WATCHED.update({str(chat), str(page), str(export)})
    result = CliRunner().invoke(app, ["import", str(chat), str(page), str(export)])
    assert result.exit_code == 0, result.stderr
    assert sorted(opened) == sorted([str(chat), str(page), str(export)])


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda line: line[: len(line) // 2], "not JSON"),
        (lambda line: line.replace('"2024-05-01T19:', '"2024-13-01T19:', 1), "created_at"),
        (lambda line: line.replace('"A1 post number', '"A1 post\\u0000 number', 1), "NUL"),
        (lambda line: line.replace('"conversation_id":', '"extra": {"note": "\\u0000"}, "conversation_id":', 1), "NUL"),
    ],
    ids=["not-json", "bad-date", "nul-in-text", "nul-in-raw"],
)
def test_a_bad_line_after_batches_were_stored_leaves_the_record_as_it_was(
    cli_db: str, tmp_path: Path, breakage: Any, expected: str
) -> None:
    database = Database(cli_db)
    import_path(database, SEED_CHAT)
    database.dispose()
    before = _fingerprint(cli_db)
    chat, lines = _chat(tmp_path)
    bad = len(lines) - 2  # past two full batches: their rows were written before this line was read
    lines[bad] = breakage(lines[bad])
    _write(chat, lines)
    result = CliRunner().invoke(app, ["import", str(chat)])
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, result.stderr
    assert errors[-1].startswith(f"huddlebot: {chat}:{bad + 1}: ") and expected in errors[-1], errors
    assert len(errors) == 1 and "Traceback" not in result.output
    assert _fingerprint(cli_db) == before


def test_a_bad_second_file_leaves_the_first_unwritten_too(cli_db: str, tmp_path: Path) -> None:
    good, _ = _chat(tmp_path, "good.jsonl")
    broken = _write(tmp_path / "broken.jsonl", ['{"data": []}', "{not json"])
    result = CliRunner().invoke(app, ["import", str(good), str(broken)])
    assert result.exit_code == 2 and f"{broken}:2: not JSON" in result.stderr
    assert count_rows(cli_db, MessageRow) == 0 and count_rows(cli_db, Event) == 0


def test_a_last_line_cut_mid_write_imports_every_complete_post(cli_db: str, tmp_path: Path) -> None:
    chat, lines = _chat(tmp_path)
    _write(chat, [*lines[:-1], lines[-1][:-40]], end="")
    result = CliRunner().invoke(app, ["import", str(chat)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\t")[1].strip() == f"{POSTS - PAGE} new messages"
    assert f"{chat}:{len(lines)}: the last line is incomplete" in result.stderr
    assert count_rows(cli_db, MessageRow) == POSTS - PAGE


def test_reimport_adds_nothing_and_a_newest_first_file_is_stored_in_time_order(cli_db: str, tmp_path: Path) -> None:
    """twarc2's search writes newest first; the record keeps posts in time order however they came."""
    tweets = [_tweet(n) for n in range(POSTS)]
    newest_first = _write(tmp_path / "search.jsonl", _lines(tweets[::-1]))
    first = CliRunner().invoke(app, ["import", str(newest_first)])
    assert first.exit_code == 0, first.stderr
    again = CliRunner().invoke(app, ["import", str(_chat(tmp_path)[0])])
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout.replace(f"{POSTS} new", "0 new")
    database = Database(cli_db)
    try:
        with database.session() as s:
            rows = s.execute(select(MessageRow.created_at, MessageRow.platform_id).order_by(MessageRow.id)).all()
            assert [tuple(r) for r in rows] == sorted(tuple(r) for r in rows) and len(rows) == POSTS
            (event,) = s.scalars(select(Event))
            assert event.hashtag == "#WeNurses" and len(event.prompts) == len(range(0, POSTS, 1000))
    finally:
        database.dispose()


def test_the_hashtag_most_posts_carry_is_every_posts_channel_even_if_the_first_batch_said_otherwise(
    cli_db: str, tmp_path: Path
) -> None:
    tweets = [_tweet(n, "Early" if n < STORE_BATCH else "WeNurses") for n in range(POSTS)]
    chat = _write(tmp_path / "chat.jsonl", _lines(tweets))
    result = CliRunner().invoke(app, ["import", str(chat)])
    assert result.exit_code == 0, result.stderr
    assert "chat hashtag #WeNurses, the one most posts carry" in result.stderr
    database = Database(cli_db)
    try:
        with database.session() as s:
            assert set(s.scalars(select(MessageRow.channel))) == {"#WeNurses"}
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "written",
    [r"A \\u0000 written out", r"A \u005cu0000 written out", r"A \u005c\u00750000 written out"],
    ids=["escaped-backslash", "backslash-escape", "letters-escaped"],
)
def test_a_post_that_writes_out_backslash_u0000_is_kept_and_only_a_real_nul_is_refused(
    cli_db: str, tmp_path: Path, written: str
) -> None:
    """A nurse explaining an error message may type the six characters \\u0000: that is text, not a NUL
    character, and refusing it refused the whole file. Only a real NUL, which the record cannot keep, is
    refused, naming its post."""
    tweets = [_tweet(n) for n in range(PAGE)]
    page = json.dumps({"data": tweets, "includes": {"users": USERS}})
    line = page.replace(json.dumps(tweets[5]["text"]), '"TEXT"', 1)
    chat = _write(tmp_path / "chat.jsonl", [line.replace('"TEXT"', f'"{written} #WeNurses"')])
    result = CliRunner().invoke(app, ["import", str(chat)])
    assert result.exit_code == 0, result.stderr
    database = Database(cli_db)
    try:
        with database.session() as session:
            stored = session.scalars(select(MessageRow.text).where(MessageRow.platform_id == tweets[5]["id"])).one()
    finally:
        database.dispose()
    assert stored == "A \\u0000 written out #WeNurses"

    real = _write(tmp_path / "nul.jsonl", [line.replace('"TEXT"', '"A \\u0000 NUL #WeNurses"')])
    refused = CliRunner().invoke(app, ["import", str(real)])
    assert refused.exit_code == 2 and f"{real}: post '{tweets[5]['id']}'" in refused.stderr and "NUL" in refused.stderr
