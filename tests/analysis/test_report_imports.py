"""`huddlebot report --no-pictures` never imports the drawing libraries: they are most of its start-up time.

The command runs in a fresh interpreter (a test process has imported everything already), against a
SQLite record of the seed chat, and says which of the drawing libraries it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from transcripts.db import Database
from transcripts.importers import import_path

ROOT = Path(__file__).resolve().parents[2]
DRAWING = ("matplotlib", "networkx", "wordcloud")
RUN_REPORT = """
import json, sys
DRAWING = sys.argv[2].split(",")
from bot.cli import app
sys.argv = ["huddlebot", "report", "--latest", "--no-pictures", "--out", sys.argv[1]]
try:
    app()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": [m for m in DRAWING if m in sys.modules]}))
"""


def test_report_without_pictures_loads_no_drawing_library(seed_chat: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'record.db'}"
    database = Database(url)
    try:
        import_path(database, seed_chat)
    finally:
        database.dispose()
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-c", RUN_REPORT, str(tmp_path / "out"), ",".join(DRAWING)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": []}
    assert (tmp_path / "out" / "index.html").is_file() and not list((tmp_path / "out").glob("*.png"))
