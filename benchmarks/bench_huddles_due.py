"""A thousand huddles due in the same minute, against a Slack that takes 50 ms to answer each call.

Run: `.venv/bin/python benchmarks/bench_huddles_due.py [--huddles 1000] [--latency 0.05] [--workers 50]
[--database-url URL]`. The real scheduler (`bot.scheduling.make_scheduler`: APScheduler with its job
store on the record database, a thread pool of `--workers`) runs the cron jobs `install_huddle_jobs`
registers; Slack's Web API is the local fake with the given latency. Prints how long after the due
time the last opening post was sent (the aim: all within 60 s) and checks each huddle opened once.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.huddles.definitions import add_definition
from bot.huddles.jobs import install_huddle_jobs
from bot.scheduling import make_scheduler
from config.huddle_definition import HuddleDefinition
from config.settings import Settings, get_settings
from tests.fakes.slack_api import running_fake_slack
from transcripts.db import Database
from transcripts.models import Event

ZONE = "Europe/London"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huddles", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_fake_slack(delay=args.latency) as fake:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.update(
            {
                "DATABASE_URL": url,
                "SLACK_API_URL": fake.url,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": "x",
            }
        )
        get_settings.cache_clear()
        db = Database(url)
        due = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)
        local = due.astimezone(ZoneInfo(ZONE))
        with db.session() as s:
            for i in range(args.huddles):
                definition = HuddleDefinition(
                    name=f"Ward {i} safety huddle",
                    channel=f"C{i:05d}",
                    days=[local.strftime("%a").lower()],
                    time=local.strftime("%H:%M:%S"),
                    timezone=ZONE,
                    window="10m",
                    prompts=["Incidents", "Patients at risk", "Staffing", "Equipment", "Concerns", "Good news"],
                    members=["U1"],
                )
                add_definition(s, definition)
        scheduler = make_scheduler(db, blocking=False, max_workers=args.workers)
        install_huddle_jobs(scheduler, db, Settings(HUDDLE_TICK_SECONDS=60))
        scheduler.start()
        try:
            openings = 0
            deadline = time.monotonic() + 20 + 120
            last_seen = None
            while time.monotonic() < deadline:
                openings = len([p for p in fake.of("chat.postMessage") if p.get("blocks")])
                if openings >= args.huddles:
                    last_seen = datetime.now(UTC)
                    break
                time.sleep(0.05)
        finally:
            scheduler.shutdown(wait=True)
        with db.session() as s:
            events = int(s.scalar(select(func.count()).select_from(Event)) or 0)
            channels = int(s.scalar(select(func.count(func.distinct(Event.channel)))) or 0)
        db.dispose()
    if last_seen is None:
        print(f"only {openings} of {args.huddles} opening posts were sent within 120 s of the due time")
        raise SystemExit(1)
    elapsed = (last_seen - due).total_seconds()
    print(
        f"{args.huddles} huddles due at {due:%H:%M:%S} UTC, Slack latency {args.latency * 1000:.0f} ms, "
        f"{args.workers} workers: last opening post sent {elapsed:.1f} s after the due time"
    )
    print(f"events: {events}, distinct channels: {channels}, opening posts: {openings}")
    if events != args.huddles or channels != args.huddles or openings != args.huddles or elapsed > 60:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
