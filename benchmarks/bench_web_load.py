"""Serve the seed chat page under load on loopback and report requests/s and latency percentiles.

Run: `.venv/bin/python benchmarks/bench_web_load.py [--seconds 15] [--connections 32]`.
The app runs in its own process (one uvicorn worker, SQLite, the seed chat imported); the page is
requested once first so the report and pictures are cached, as they are for every visitor after the
first. Load comes from `wrk` when installed (apt-get install wrk), otherwise from an asyncio httpx
client in this process; either way the figures printed are requests/s, p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.fakes.slack_web import free_port


def _serve(db_url: str, output_dir: str, port: int) -> None:
    import uvicorn

    from bot.web.app import create_app
    from config.settings import Settings
    from transcripts.db import Database

    settings = Settings(_env_file=None, HUDDLEBOT_OUTPUT_DIR=output_dir)  # type: ignore[call-arg]
    app = create_app(settings, Database(db_url))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def _wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=60).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not come up within {timeout:.0f} s")


def _with_wrk(url: str, seconds: int, connections: int) -> tuple[float, float, float, int]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if match is None:
            raise SystemExit(f"could not read the {label}th percentile from wrk:\n{out}")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, ms("50"), ms("99"), int(errors.group(1)) if errors else 0


async def _with_httpx(url: str, seconds: int, connections: int) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    failures = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal failures
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                failures += response.status_code != 200

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return len(latencies) / elapsed, pick(0.50), pick(0.99), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    args = parser.parse_args()

    from transcripts.db import Database
    from transcripts.importers import import_path
    from transcripts.samples import SEED_CHAT

    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        db = Database(db_url)
        [(event_id, messages)] = import_path(db, SEED_CHAT)
        db.dispose()
        port = free_port()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(db_url, str(Path(folder) / "out"), port), daemon=True
        )
        server.start()
        url = f"http://127.0.0.1:{port}/events/{event_id}"
        try:
            _wait_ready(url)
            size = len(httpx.get(url, timeout=60).content)
            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            client = "wrk" if use_wrk else "httpx"
            if use_wrk:
                rps, p50, p99, failures = _with_wrk(url, args.seconds, args.connections)
            else:
                rps, p50, p99, failures = asyncio.run(_with_httpx(url, args.seconds, args.connections))
        finally:
            server.terminate()
            server.join(timeout=10)
    print(
        f"seed chat page ({messages} posts, {size:,} bytes), 1 uvicorn worker, {args.connections} connections, "
        f"{args.seconds} s via {client}: {rps:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"non-200: {failures}"
    )


if __name__ == "__main__":
    main()
