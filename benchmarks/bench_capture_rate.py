"""Capture under load: posts arriving at a set rate on a local X API server, polled at the default interval.

Run: `.venv/bin/python -m benchmarks.bench_capture_rate [--rate 3000] [--minutes 1] [--speedup 10]`.
Posts arrive at `rate x speedup` per hour for `minutes` of wall time; the real tweepy client polls
at a chat definition's default `poll_interval` (15 s) through the capture path. Prints posts made,
stored, lost and duplicated, pages per poll, the slowest poll, and the posts X returned per post
stored (the re-reads of the overlap, which X's pay-per-use API bills).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.chats.jobs import poll
from bot.platforms import registry
from bot.platforms.x import XPlatform
from config.chat_definition import ChatDefinition, parse_offset
from config.settings import Settings
from tests.fakes.x_api import HOST_ID, running_fake_x
from transcripts.db import Database
from transcripts.models import Event, MessageRow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=3000.0, help="posts per hour")
    parser.add_argument("--minutes", type=float, default=1.0, help="wall-clock minutes to run")
    parser.add_argument("--speedup", type=float, default=10.0, help="multiply the rate to stress the poller")
    args = parser.parse_args()
    interval = parse_offset(ChatDefinition.model_fields["poll_interval"].default).total_seconds()
    with tempfile.TemporaryDirectory() as tmp, running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost")
        for i in range(200):
            fake.add_user(str(5000 + i), f"nurse{i}", followers=50 + i)
        settings = Settings(_env_file=None, X_API_BASE_URL=fake.base_url, X_BEARER_TOKEN="b")
        url = f"sqlite:///{Path(tmp) / 'capture.db'}"
        db = Database(url)
        registry.install(settings, [XPlatform(settings)], db=db)
        with db.session() as s:
            event = Event(kind="chat", title="load", hashtag="#WeLoad", platforms=["x"], starts_at=datetime.now(UTC),
                          timezone="UTC", status="running")  # fmt: skip
            s.add(event)
            s.flush()
            event_id = event.id
        per_second = args.rate * args.speedup / 3600
        stop = threading.Event()

        def people() -> None:
            n = 0
            started = time.monotonic()
            while not stop.is_set():
                due = started + n / per_second
                time.sleep(max(0.0, due - time.monotonic()))
                fake.add_post(str(5000 + n % 200), f"A{1 + n % 6} post {n} about escalation #WeLoad")
                n += 1

        thread = threading.Thread(target=people, daemon=True)
        thread.start()
        polls: list[float] = []
        end = time.monotonic() + args.minutes * 60
        while time.monotonic() < end:
            started = time.perf_counter()
            poll(event_id)
            polls.append(time.perf_counter() - started)
            time.sleep(max(0.0, interval - polls[-1]))
        stop.set()
        thread.join()
        started = time.perf_counter()
        poll(event_id)  # the closing poll
        polls.append(time.perf_counter() - started)
        made = {p["id"] for p in fake.posts}
        with db.session() as s:
            stored = set(s.scalars(select(MessageRow.platform_id)))
            rows = s.scalar(select(func.count()).select_from(MessageRow))
        searches = sum(1 for _, path, _ in fake.calls if path == "/2/tweets/search/recent")
        served = fake.served_posts
        registry.clear()
        db.dispose()
    print(
        f"rate: {args.rate:,.0f}/h x {args.speedup:g} = {args.rate * args.speedup:,.0f} posts/h"
        f" for {args.minutes:g} min"
    )
    print(f"poll interval: {interval:g} s; polls: {len(polls)}; search requests (pages): {searches}")
    print(
        f"posts made: {len(made)}; stored: {len(stored)}; lost: {len(made - stored)}; duplicates: {rows - len(stored)}"
    )
    print(f"slowest poll: {max(polls):.2f} s; mean poll: {sum(polls) / len(polls):.2f} s")
    print(f"posts read (X returned, re-reads included): {served}; per post stored: {served / max(1, len(stored)):.1f}")


if __name__ == "__main__":
    main()
