"""Signed Slack events at a steady rate to `/slack/events`, ours beside a bare Bolt app, same run: ack latency.

Run: `.venv/bin/python benchmarks/bench_slack_ack.py [--rate 100] [--seconds 30] [--rounds 3]
[--database-url URL] [--per-workspace] [--no-worker] [--base-code DIR [--base-database-url URL]]`.

Two servers are up the whole run, each one uvicorn worker on 127.0.0.1: ours (the FastAPI app with
the real Bolt app; with SLACK_STORE_IN_WORKER beside a `huddlebot worker` process that stores what it
acks, or with `--no-worker` as a deployment without a worker runs, the web process's own store process
(bot.slack.store_process, its child) storing; ours's CPU is both processes') and the peer, a bare
`slack_bolt.App` with the same signing secret and token, whose `message` listener does nothing (Bolt
acks events itself), served the way Bolt documents for Starlette
(`slack_bolt.adapter.starlette.SlackRequestHandler`). Slack's Web API is the local fake for both. The
same signed events, at the same rate, go to each server in turn, in `--slice`-second slices, so both
see the same machine load; each round gives every server `--seconds` of events, after `--warmup`
seconds each that are not measured. `--base-code DIR` adds a third server, ours from another checkout
(the code before a change), on a database of its own (`--base-database-url`, by default a second
SQLite file), migrated by that checkout: the two may differ in schema.

Every event is a thread reply to one open huddle, with a unique ts; one in twenty is sent a second
time with X-Slack-Retry-Num. The acknowledgement is the HTTP 200; storing happens after it, so the
script then waits for each of our records to hold exactly one row per event sent to its server.
With `--per-workspace` ours runs as a multi-workspace install (the token from the installation store).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.huddles import flow, sessions
from bot.slack.install import installation_store
from bot.slack.tokens import base_url, slack_for
from config.huddle_definition import HuddleDefinition
from config.settings import Settings
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlack, running_fake_slack
from tests.fakes.slack_web import SIGNING_SECRET, event_body, free_port, signed_headers
from transcripts.db import Database
from transcripts.models import MessageRow

ROOT = Path(__file__).resolve().parents[1]

# Ours, from the checkout named first: the app `huddlebot web` serves, settings from the environment.
SERVE_OURS = """
import sys
sys.path.insert(0, sys.argv[1])
import uvicorn
from bot.web.app import create_app
from config.settings import Settings
from transcripts.db import Database
settings = Settings(_env_file=None)
app = create_app(settings, Database(settings.database_url))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False, lifespan="off")
"""

# What stores ours's events with SLACK_STORE_IN_WORKER: the worker `huddlebot worker` runs.
SERVE_WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
from bot.worker import run_worker
from config.settings import Settings
run_worker(Settings(_env_file=None))
"""

# The peer: Bolt's own Starlette example, with a listener that does nothing.
SERVE_BARE_BOLT = """
import os, sys
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

bolt = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["BENCH_BOLT_TOKEN"], base_url=os.environ["BENCH_BOLT_API"]),
    token_verification_enabled=False,
)

@bolt.event("message")
def on_message() -> None:
    pass

handler = SlackRequestHandler(bolt)

async def events(request: Request):
    return await handler.handle(request)

app = Starlette(routes=[Route("/slack/events", endpoint=events, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, lifespan="off")
"""


@dataclass
class Server:
    name: str
    ours: bool
    port: int
    process: subprocess.Popen[bytes]
    root: str  # the thread its events reply to
    db: Database | None  # where ours stores them
    sent_ids: set[str] = field(default_factory=set)
    failures: int = 0
    rounds: list[list[float]] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # its processes' CPU seconds per event, each round
    worker: subprocess.Popen[bytes] | None = None  # ours's `huddlebot worker`, storing what the server acks
    connections: Connections = field(init=False)

    def __post_init__(self) -> None:
        self.connections = Connections(self.port)

    storer_cpu: list[float] = field(default_factory=list)  # the worker's or store process's part of `cpu`

    def cpu_seconds(self) -> float:
        """User + system CPU the server process and what stores for it have used so far (Linux /proc)."""
        return _cpu_seconds(self.process.pid) + self.storer_cpu_seconds()

    def storer_cpu_seconds(self) -> float:
        """The worker's CPU, or without one the server's children's: its store process, once started."""
        storers = [self.worker.pid] if self.worker is not None else _children(self.process.pid)
        return sum(_cpu_seconds(pid) for pid in storers)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.process, self.worker) if p is not None]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name: state, parent, ...; none if it has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return []


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def _children(pid: int) -> list[int]:
    return [
        int(path.parent.name)
        for path in Path("/proc").glob("[0-9]*/stat")
        if _stat(int(path.parent.name))[1:2] == [str(pid)]
    ]


def _start(name: str, code: str, args: list[str], env: dict[str, str], port: int, cwd: str, record: Record) -> Server:
    process = subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=cwd)
    return Server(name, record.db is not None, port, process, record.root, record.db)


def _start_ours(name: str, code: Path, env: dict[str, str], cwd: str, record: Record, no_worker: bool) -> Server:
    """Ours from the checkout `code`; unless `no_worker`, with its worker storing what it acks."""
    port = free_port()
    if no_worker:
        return _start(name, SERVE_OURS, [str(code), str(port)], env, port, cwd, record)
    env = {**env, "SLACK_STORE_IN_WORKER": "true"}
    server = _start(name, SERVE_OURS, [str(code), str(port)], env, port, cwd, record)
    server.worker = subprocess.Popen([sys.executable, "-c", SERVE_WORKER, str(code)], env=env, cwd=cwd)
    return server


def _wait_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.post(f"{server.base}/slack/events", content="{}", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or any(p.poll() is not None for p in server.processes()):
                raise SystemExit(f"{server.name} did not start") from None
            time.sleep(0.2)


class Connections:
    """Keep-alive HTTP/1.1 connections to one server, spoken by hand: on a busy two-core machine an
    HTTP library's own work per request would be a large part of what is measured, and the same for both."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await reader.readline()).split()[1])
        length, close = 0, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = "close" in value.lower()
            elif name == "transfer-encoding":
                raise SystemExit(f"a chunked answer from port {self.port}: this client reads only Content-Length")
        await reader.readexactly(length)
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status

    def forget(self) -> None:
        """Closes the idle connections: the server (uvicorn) would close them after 5 s idle anyway."""
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _slice(server: Server, rate: float, seconds: float, first: int) -> list[float]:
    """`rate * seconds` events to one server, one every 1/rate s; the latency of each first delivery."""
    latencies: list[float] = []

    async def one(i: int, retry: bool) -> None:
        ts = f"1900000000.{i:06d}"
        event = {"type": "message", "channel": "C1", "user": f"U{i % 40}", "text": f"{i % 6 + 1}: answer {i}",
                 "ts": ts, "thread_ts": server.root}  # fmt: skip
        body = event_body(event, f"Ev{i}")
        headers = signed_headers(body, content_type="application/json")
        if retry:
            headers["X-Slack-Retry-Num"] = "1"
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.perf_counter()
        status = await server.connections.post("/slack/events", body.encode(), headers)
        if retry:
            return
        latencies.append(time.perf_counter() - started)
        server.sent_ids.add(f"C1:{ts}")
        if status != 200:
            server.failures += 1

    server.connections.forget()
    total = int(rate * seconds)
    start = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first + n, False)))
        if n % 20 == 0:
            tasks.append(asyncio.create_task(one(first + n, True)))
    await asyncio.gather(*tasks)
    return latencies


async def _run(servers: list[Server], args: argparse.Namespace) -> None:
    slices = max(1, round(args.seconds / args.slice))
    per_slice = args.seconds / slices
    first = 0
    for server in servers:  # not measured: first connections, Bolt's auth.test, first queries compiled
        await _slice(server, args.rate, args.warmup, first)
        first += int(args.rate * args.warmup)
    for r in range(args.rounds):
        latencies: dict[str, list[float]] = {s.name: [] for s in servers}
        cpu_before = {s.name: s.cpu_seconds() for s in servers}
        storer_before = {s.name: s.storer_cpu_seconds() for s in servers}
        for k in range(slices * len(servers)):
            server = servers[(k + r) % len(servers)]  # each round starts with the next server
            latencies[server.name] += await _slice(server, args.rate, per_slice, first)
            first += int(args.rate * per_slice)
        await asyncio.sleep(1)  # the last slice's work after the ack counts in this round
        for s in servers:
            s.rounds.append(latencies[s.name])
            s.cpu.append((s.cpu_seconds() - cpu_before[s.name]) / len(latencies[s.name]))
            s.storer_cpu.append((s.storer_cpu_seconds() - storer_before[s.name]) / len(latencies[s.name]))
        print(_round_line(f"round {r + 1}", servers, [s.rounds[-1] for s in servers]), flush=True)
        print(
            "  server CPU per event: "
            + ", ".join(
                f"{s.name} {s.cpu[-1] * 1000:.2f} ms"
                + (
                    f" (its {'worker' if s.worker else 'store process'} {s.storer_cpu[-1] * 1000:.2f})"
                    if s.worker or s.storer_cpu[-1]
                    else ""
                )
                for s in servers
            )
        )


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(x * 1000 for x in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def _round_line(label: str, servers: list[Server], latencies: list[list[float]]) -> str:
    figures = {s.name: _percentiles(xs) for s, xs in zip(servers, latencies, strict=True)}
    peer50, peer99 = figures["bare Bolt"]
    parts = [f"{name} p50 {p50:.1f} ms p99 {p99:.1f} ms" for name, (p50, p99) in figures.items()]
    ratios = [
        f"{name}/bare Bolt p50 {p50 / peer50:.2f}x p99 {p99 / peer99:.2f}x"
        for name, (p50, p99) in figures.items()
        if name != "bare Bolt"
    ]
    return f"{label}: " + " | ".join(parts) + " || " + " | ".join(ratios)


def _install(settings: Settings, db: Database, fake: FakeSlack) -> str:
    """The workspace's installation, as the OAuth flow would have stored it; its bot token."""
    token = "xoxb-bench-" + TEAM
    fake.bot_tokens[token] = TEAM
    installation = Installation(
        app_id="A0APP", team_id=TEAM, bot_token=token, bot_id="B" + TEAM, bot_user_id=BOT_USER, user_id="U0"
    )
    installation_store(settings, db.engine).save(installation)
    return token


def _stored(servers: list[Server]) -> bool:
    """Waits for every event sent to our servers to be stored; prints lost and doubled per server."""
    ok = True
    for server in (s for s in servers if not s.ours):
        print(f"{server.name}: sent {len(server.sent_ids)}, non-200 {server.failures}")
        ok = ok and not server.failures
    for server in (s for s in servers if s.db is not None):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with server.db.session() as s:
                have = set(s.scalars(select(MessageRow.platform_id)))
            if server.sent_ids <= have:
                break
            time.sleep(0.5)
        time.sleep(2)  # let any late duplicate land before counting again
        with server.db.session() as s:
            mine = [p for p in s.scalars(select(MessageRow.platform_id)) if p in server.sent_ids]
        lost, doubled = len(server.sent_ids - set(mine)), len(mine) - len(set(mine))
        print(f"{server.name}: sent {len(server.sent_ids)}, non-200 {server.failures}, lost {lost}, doubled {doubled}")
        ok = ok and not (lost or doubled or server.failures)
    return ok


@dataclass
class Record:
    """A database with a huddle open in it: the thread the events reply to; `db` None for the peer."""

    root: str
    db: Database | None


def _open_huddle(settings: Settings, db: Database) -> str:
    definition = HuddleDefinition(
        name="Bench", workspace=TEAM, channel="C1", days=["mon"], time="07:00", window="2h",
        prompts=[f"Q{i}" for i in range(1, 7)],
    )  # fmt: skip
    event_id = flow.open_huddle(db, slack_for(settings, TEAM, db), definition, definition_id=None)
    with db.session() as s:
        where = sessions.opening_ts(s, event_id)
    assert where is not None
    return where[1]


def _base_record(code: Path, url: str, settings: Settings, fake: FakeSlack, per_workspace: bool) -> Record:
    """The other checkout's database: migrated by that checkout (its newest revision may be older than
    ours), then a huddle opened in it by this one, which leaves its schema alone."""
    migrate = "import sys; sys.path.insert(0, sys.argv[1]); from transcripts.db import Database; Database(sys.argv[2])"
    subprocess.run([sys.executable, "-c", migrate, str(code), url], check=True, cwd=code)
    db = Database(url, migrate=False)
    if per_workspace:
        _install(settings, db, fake)
    return Record(_open_huddle(settings, db), db)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the servers are stopped on the way out
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="per server per round")
    parser.add_argument("--slice", type=float, default=5.0, help="seconds of events to one server before the next")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of events to each server, not measured")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--per-workspace", action="store_true", help="OAuth install mode, token from the store")
    parser.add_argument(
        "--no-worker", action="store_true", help="ours without SLACK_STORE_IN_WORKER: its store process stores"
    )
    parser.add_argument("--base-code", type=Path, default=None, help="also serve ours from this checkout")
    parser.add_argument("--base-database-url", default=None, help="the --base-code server's (empty) database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_fake_slack(members={"C1": []}) as fake:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        credentials: dict[str, str] = (
            {"SLACK_CLIENT_ID": fake.client_id, "SLACK_CLIENT_SECRET": fake.client_secret}
            if args.per_workspace
            else {"SLACK_BOT_TOKEN": "xoxb-bench"}
        )
        env = {"DATABASE_URL": url, "SLACK_API_URL": fake.url, "SLACK_SIGNING_SECRET": SIGNING_SECRET, **credentials}
        settings = Settings(_env_file=None, **env)  # type: ignore[call-arg]
        db = Database(url)
        token = _install(settings, db, fake) if args.per_workspace else "xoxb-bench"
        records = [Record(_open_huddle(settings, db), db)]
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "WEB_"))}
        server_env = {**clean, **env, "BENCH_BOLT_TOKEN": token, "BENCH_BOLT_API": base_url(settings)}
        servers = [_start_ours("ours", ROOT, server_env, tmp, records[0], args.no_worker)]
        if args.base_code is not None:
            code = args.base_code.resolve()
            base_db_url = args.base_database_url or f"sqlite:///{Path(tmp) / 'bench-base.db'}"
            records.append(_base_record(code, base_db_url, settings, fake, args.per_workspace))
            base_env = {**server_env, "DATABASE_URL": base_db_url}
            base_args = [str(code), str(port := free_port())]
            # The code before SLACK_STORE_IN_WORKER stores in its web process whatever the setting says.
            servers.append(_start("base", SERVE_OURS, base_args, base_env, port, tmp, records[-1]))
        # Bolt would switch itself to OAuth with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in its environment.
        peer_env = {k: v for k, v in server_env.items() if k not in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")}
        peer = Record(records[0].root, None)
        servers.append(_start("bare Bolt", SERVE_BARE_BOLT, [str(port := free_port())], peer_env, port, tmp, peer))
        try:
            for server in servers:
                _wait_up(server)
            print(
                f"mode: {'per-workspace install' if args.per_workspace else 'one token'}; "
                f"database: {db.engine.dialect.name}; {args.rate:g} events/s, {args.seconds:g} s per server per "
                f"round in {args.slice:g} s slices, interleaved; servers: {', '.join(s.name for s in servers)}; "
                f"ours stores {'in its store process' if args.no_worker else 'in its worker'}",
                flush=True,
            )
            asyncio.run(_run(servers, args))
            print(_round_line("all rounds", servers, [[x for r in s.rounds for x in r] for s in servers]))
            ok = _stored(servers)
            print(f"auth.test calls to Slack: {len(fake.of('auth.test'))}")
        finally:
            for process in (p for server in servers for p in server.processes()):
                process.terminate()
            for process in (p for server in servers for p in server.processes()):
                process.wait(10)
            for record in records:
                if record.db is not None:
                    record.db.dispose()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
