"""A report that fails while writing leaves every file whole: the one before it, or none, never half of one.

The files are written as they are made (a large chat's page is never held as one string), each into a
temporary file renamed over the old one only when complete. These tests run the real `huddlebot report`
in a process of its own with a file-size limit (RLIMIT_FSIZE, as a full disk would do), so a write fails
part way through a file, and with a folder where index.html should go.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate_x_chat import generate
from transcripts.db import Database
from transcripts.importers import import_path

ROOT = Path(__file__).resolve().parents[2]
CLI = "import sys; from bot.cli import app; sys.argv[0] = 'huddlebot'; sys.exit(app())"
FILES = ("transcript.md", "messages.csv", "record.json", "stats.json", "index.html")


def _report(db_url: str, out: Path, max_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """`huddlebot report --latest --no-pictures --out OUT`, with no file it writes allowed past `max_file_bytes`."""

    def limit() -> None:
        if max_file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", CLI, "report", "--latest", "--no-pictures", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, preexec_fn=limit, timeout=600,
    )  # fmt: skip


@pytest.fixture
def chat(db: Database, db_url: str, tmp_path: Path) -> str:
    import_path(db, generate(1000, tmp_path / "chat.jsonl"))
    return db_url


def _whole_report(db_url: str, out: Path) -> dict[str, bytes]:
    done = _report(db_url, out)
    assert done.returncode == 0, done.stderr
    return {name: (out / name).read_bytes() for name in FILES}


@pytest.mark.parametrize("max_file_bytes", [100_000, 400_000])
def test_a_write_failing_part_way_leaves_the_previous_files_whole(
    chat: str, tmp_path: Path, max_file_bytes: int
) -> None:
    out = tmp_path / "out"
    before = _whole_report(chat, out)
    assert any(len(data) > max_file_bytes for data in before.values())  # so a write fails part way through

    failed = _report(chat, out, max_file_bytes)

    assert failed.returncode == 2
    assert failed.stderr.startswith("huddlebot: report: could not write ") and failed.stderr.count("\n") == 1
    assert "File too large" in failed.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no temporary file left behind
    assert {name: (out / name).read_bytes() for name in FILES} == before


def test_a_page_that_cannot_be_put_in_place_leaves_no_temporary_file(chat: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "index.html").mkdir(parents=True)  # the finished page cannot be renamed over a folder

    failed = _report(chat, out)

    assert failed.returncode == 2
    assert failed.stderr.startswith("huddlebot: report: could not write ") and failed.stderr.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert list((out / "index.html").iterdir()) == []
