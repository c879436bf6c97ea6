"""Signed Slack events at a steady rate to `/slack/events`: acknowledgement latency, nothing lost or doubled.

Run: `.venv/bin/python benchmarks/bench_slack_ack.py [--rate 100] [--seconds 30] [--database-url URL]
[--per-workspace]`. With `--per-workspace` the app runs as a multi-workspace install: Bolt finds the
workspace's token in the installation store before each ack (Slack's `auth.test` is asked once per token).
The web app runs in its own process (one uvicorn worker, the real Bolt app); Slack's Web API is the
local fake on 127.0.0.1. Every event is a thread reply to one open huddle, with a unique ts; one in
twenty is sent a second time with X-Slack-Retry-Num. The acknowledgement is the HTTP 200; storing
happens after it, so the script then waits for the record to hold exactly one row per event.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.huddles import flow, sessions
from bot.slack.install import installation_store
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from config.settings import Settings
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlack, running_fake_slack
from tests.fakes.slack_web import SIGNING_SECRET, event_body, free_port, signed_headers
from transcripts.db import Database
from transcripts.models import MessageRow


def _serve(settings: Settings, port: int) -> None:
    import uvicorn

    from bot.web.app import create_app

    app = create_app(settings, Database(settings.database_url))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


async def _send(rate: float, seconds: float, base: str, root: str) -> tuple[list[float], int]:
    total = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def one(i: int, retry: bool) -> None:
            nonlocal failures
            event = {
                "type": "message",
                "channel": "C1",
                "user": f"U{i % 40}",
                "text": f"{i % 6 + 1}: answer {i}",
                "ts": f"1900000000.{i:06d}",
                "thread_ts": root,
            }
            body = event_body(event, f"Ev{i}")
            headers = signed_headers(body, content_type="application/json")
            if retry:
                headers["X-Slack-Retry-Num"] = "1"
                headers["X-Slack-Retry-Reason"] = "http_timeout"
            started = time.perf_counter()
            response = await client.post(f"{base}/slack/events", content=body, headers=headers)
            if retry:
                return
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                failures += 1

        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, False)))
            if i % 20 == 0:
                tasks.append(asyncio.create_task(one(i, True)))
        await asyncio.gather(*tasks)
    return latencies, failures


def _install(settings: Settings, db: Database, fake: FakeSlack) -> None:
    """The workspace's installation, as the OAuth flow would have stored it."""
    token = "xoxb-bench-" + TEAM
    fake.bot_tokens[token] = TEAM
    installation = Installation(
        app_id="A0APP", team_id=TEAM, bot_token=token, bot_id="B" + TEAM, bot_user_id=BOT_USER, user_id="U0"
    )
    installation_store(settings, db.engine).save(installation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--per-workspace", action="store_true", help="OAuth install mode, token from the store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_fake_slack(members={"C1": []}) as fake:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        credentials: dict[str, str] = (
            {"SLACK_CLIENT_ID": fake.client_id, "SLACK_CLIENT_SECRET": fake.client_secret}
            if args.per_workspace
            else {"SLACK_BOT_TOKEN": "xoxb-bench"}
        )
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            DATABASE_URL=url,
            SLACK_API_URL=fake.url,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            **credentials,
        )
        db = Database(url)
        if args.per_workspace:
            _install(settings, db, fake)
        definition = HuddleDefinition(
            name="Bench", workspace=TEAM, channel="C1", days=["mon"], time="07:00", window="2h",
            prompts=[f"Q{i}" for i in range(1, 7)],
        )  # fmt: skip
        event_id = flow.open_huddle(db, slack_for(settings, TEAM, db), definition, definition_id=None)
        with db.session() as s:
            where = sessions.opening_ts(s, event_id)
        assert where is not None
        port = free_port()
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(settings, port), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.post(f"{base}/slack/events", content="{}", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the web app did not start") from None
                time.sleep(0.2)
        try:
            latencies, failures = asyncio.run(_send(args.rate, args.seconds, base, where[1]))
            sent = len(latencies)
            stored = 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with db.session() as s:
                    stored = int(s.scalar(select(func.count()).select_from(MessageRow)) or 0)
                if stored >= sent:
                    break
                time.sleep(0.5)
            time.sleep(2)  # let any late duplicate land before counting again
            with db.session() as s:
                stored = int(s.scalar(select(func.count()).select_from(MessageRow)) or 0)
                distinct = int(s.scalar(select(func.count(func.distinct(MessageRow.platform_id)))) or 0)
        finally:
            server.terminate()
            server.join(10)
            db.dispose()
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    mode = "per-workspace install (token from the store)" if args.per_workspace else "one token"
    print(f"mode: {mode}; database: {db.engine.dialect.name}; auth.test calls to Slack: {len(fake.of('auth.test'))}")
    print(
        f"events sent: {sent} at {args.rate:g}/s for {args.seconds:g}s (+{sent // 20 + 1} retries), non-200: {failures}"
    )
    print(f"ack latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms")
    print(f"stored: {stored} rows, {distinct} distinct; lost {sent - distinct}, doubled {stored - distinct}")
    if failures or stored != sent or distinct != sent:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
