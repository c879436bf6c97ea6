"""`huddlebot` starts as a fresh process for every command, so what `bot.cli` loads is paid by each one:
an import and a report of the same file pay it twice, beside a converter that is one process. The
web app, the platforms' clients, the analysis and the parsers load inside the commands that use them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Each is loaded by the commands that need it, never by `bot.cli` itself.
LOADED_ONLY_WHEN_USED = (
    "limits",  # rate limits: the web app's, and settings that set one
    "analysis",
    "jinja2",
    "matplotlib",
    "transcripts.importers",
    "fastapi",
    "slack_bolt",
    "slack_sdk",
    "tweepy",
    "atproto",
    "apscheduler",
    "alembic",
    "docx",
    "httpx",
    "sqlalchemy.dialects.postgresql",  # a SQLite record never needs it
)


def test_the_command_loads_nothing_a_command_does_not_need_before_it_runs() -> None:
    probe = f"import sys, bot.cli; print(' '.join(m for m in {LOADED_ONLY_WHEN_USED!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_a_command_that_runs_on_the_default_settings_does_not_load_the_rate_limit_library(tmp_path: Path) -> None:
    """pydantic-settings validates defaults too: the rate-limit check must not load `limits` for them."""
    probe = "import sys; from bot.commands.common import settings; settings(); print('limits' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_RATE_LIMIT")}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path, env=env
    )
    assert run.stdout.strip() == "False"
