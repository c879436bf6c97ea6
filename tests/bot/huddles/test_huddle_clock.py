"""The huddle clock in real worker processes: reconciling never moves a job's next run.

Each case once failed: the tick was re-added every reconcile and so never fired when its interval was
longer than the reconcile; a huddle whose time passed while no worker ran (or between `huddle add`
and the next reconcile) was moved to next week instead of opening today within its window.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.huddles.definitions import add_definition
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Definition

ZONE = "Europe/London"


def _definition(name: str, channel: str, due: datetime, window: str, reminders: list[str]) -> HuddleDefinition:
    local = due.astimezone(ZoneInfo(ZONE))
    return HuddleDefinition(
        name=name, channel=channel, days=[local.strftime("%a").lower()], time=local.strftime("%H:%M:%S"),
        timezone=ZONE, window=window, reminders=reminders, prompts=["Staffing"], members=["U1"],
    )  # fmt: skip


@contextmanager
def _worker(db_url: str, fake: FakeSlack, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    environment = {
        **os.environ, "DATABASE_URL": db_url, "SLACK_API_URL": fake.url, "SLACK_BOT_TOKEN": "xoxb-test",
        "HUDDLEBOT_OUTPUT_DIR": str(log.parent / "out"), **env,
    }  # fmt: skip
    for name in ("POLL_INTERVAL_SECONDS", "X_BEARER_TOKEN", "X_CONSUMER_KEY", "BLUESKY_HANDLE"):
        environment.pop(name, None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"], env=environment, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _openings(fake: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [p for p in fake.of("chat.postMessage") if p.get("channel") == channel and p.get("blocks")]


def _has_job(db: Database, job_id: str) -> bool:
    with db.session() as s:
        try:
            return s.scalar(text("SELECT count(*) FROM apscheduler_jobs WHERE id = :id"), {"id": job_id}) == 1
        except (OperationalError, ProgrammingError):  # the worker has not made the job store yet
            s.rollback()
            return False


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "(no log)"


def test_a_missed_huddle_opens_on_restart_and_a_slow_tick_still_fires(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """The worker was down at 5 s ago; it starts within the window: today's huddle opens, and its
    reminder is sent by a tick (every 4 s) that the 1-second reconcile must not keep resetting."""
    due = datetime.now(UTC) - timedelta(seconds=5)
    with db.session() as s:
        definition_id = add_definition(s, _definition("Ward 7", "CWARD7", due, "40s", ["30s"]))
        s.execute(update(Definition).values(created_at=due - timedelta(days=3)).where(Definition.id == definition_id))
    log = tmp_path / "worker.log"
    with (
        running_fake_slack(members={"CWARD7": ["U1"]}) as fake,
        _worker(db_url, fake, log, WORKER_RECONCILE_SECONDS="1", HUDDLE_TICK_SECONDS="4"),
    ):
        wait_for(lambda: _openings(fake, "CWARD7"), "the missed huddle to open", timeout=90)
        reminder = wait_for(
            lambda: [p for p in fake.of("chat.postMessage") if "a reminder" in str(p.get("text"))],
            f"the tick to send the reminder; worker log:\n{_log(log)}",
            timeout=120,
        )
    assert isinstance(reminder, list) and reminder[0]["text"].startswith("<@U1> a reminder")
    assert len(_openings(fake, "CWARD7")) == 1


def test_a_huddle_added_just_before_its_time_opens_on_time(db: Database, db_url: str, tmp_path: Path) -> None:
    """Added 5 s before its time, with the next reconcile 20 s away: it still opens today."""
    log = tmp_path / "worker.log"
    with (
        running_fake_slack() as fake,
        _worker(db_url, fake, log, WORKER_RECONCILE_SECONDS="20", HUDDLE_TICK_SECONDS="30") as worker,
    ):
        # Once the worker has reconciled (its tick job is in the store), the next reconcile is 20 s away.
        wait_for(lambda: _has_job(db, "huddles:tick") or worker.poll() is not None, "the first reconcile", 90)
        assert worker.poll() is None, _log(log)
        with db.session() as s:
            add_definition(s, _definition("Ward 9", "CWARD9", datetime.now(UTC) + timedelta(seconds=5), "10m", []))
        wait_for(lambda: _openings(fake, "CWARD9"), f"the new huddle to open; worker log:\n{_log(log)}", 120)
    assert len(_openings(fake, "CWARD9")) == 1
