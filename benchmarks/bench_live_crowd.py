"""A live crowd: 100 viewers polling a 50,000-post chat that gains one post a second (issue 16.2).

Run: `PYTHONPATH=. .venv/bin/python benchmarks/bench_live_crowd.py [--posts 50000] [--viewers 100]
[--seconds 60] [--database URL]`.

A generated X chat (benchmarks/generate_x_chat.py) is imported into a fresh SQLite file (or the
PostgreSQL database given, which must be empty) and marked running. The web app runs alone in its own
process (one uvicorn worker). Measured, in this order:

1. the chat page cold: the first request of a fresh server, nothing analysed yet (its first response,
   which may be the "being prepared" page, and the time until the same URL serves the full page);
   then, on another fresh server, a transcript page cold (500 posts from the middle);
2. on a further fresh server, the live page's first load (its size: the first screen only; it also
   starts the chat page's analysis in the background), then the crowd: a writer process stores one
   new post a second while `--viewers` clients each poll `live.json?after=<their last id>` every 2 s,
   as the live page does, for `--seconds`: poll latency p50/p90/p99/max, errors, posts seen, and the
   server's CPU (user+system seconds / wall seconds, from /proc);
   The chat page is requested once between the two (2 s after the live page, as a visitor would),
   and the crowd starts once the full chat page is served, so it measures polling with no analysis
   running, as in the steady state of a live chat;
3. the chat page again after the crowd, a transcript page, and the server's peak RSS.

Aims: poll p99 under 200 ms, no error, server CPU under one core; chat page cold under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from benchmarks.bench_web_load import _serve
from tests.fakes.slack_web import free_port

INTERVAL = 2.0
FULL_PAGE = 'id="summary-h"'  # only the analysed chat page has the summary section


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _writer(db_url: str, event_id: int, stop_after: float) -> None:
    """One new post a second, as a capture would store them."""
    from transcripts.db import Database
    from transcripts.message import Author, Message
    from transcripts.store import store_messages

    db = Database(db_url)
    deadline = time.monotonic() + stop_after
    run = time.time_ns()  # ids unique to this run, so a reused database gains new posts too
    n = 0
    while time.monotonic() < deadline:
        n += 1
        post = Message(
            "x", f"crowd-{run}-{n}", "#WeNurses", Author("x", f"crowd-{n % 50}", f"crowd{n % 50}"),
            f"A3 live post {n} about escalation", datetime.now(UTC),
        )  # fmt: skip
        with db.session() as session:
            store_messages(session, event_id, [post])
        time.sleep(1.0)
    db.dispose()


class _Connection:
    """A bare HTTP/1.1 keep-alive connection: the load generator must cost far less than the server,
    and a full HTTP client per viewer (httpx) costs more than the polls it measures on a small machine."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: application/json\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)


async def _crowd(port: int, event_id: int, viewers: int, seconds: float, start_after: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    seen = 0
    stop = time.monotonic() + seconds

    async def viewer(offset: float) -> None:
        nonlocal errors, seen
        after = start_after
        connection = _Connection("127.0.0.1", port)
        await asyncio.sleep(offset)  # viewers arrive spread over one interval, as real ones do
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                status, body = await connection.get(f"/events/{event_id}/live.json?after={after}")
                latencies.append((time.perf_counter() - began) * 1000)
                if status != 200:
                    errors += 1
                else:
                    state = orjson.loads(body)
                    seen += len(state["messages"])
                    after = max(after, state["last_id"])
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                connection = _Connection("127.0.0.1", port)
            await asyncio.sleep(max(0.0, INTERVAL - (time.perf_counter() - began)))

    await asyncio.gather(*(viewer(INTERVAL * i / viewers) for i in range(viewers)))
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    return {
        "polls": len(latencies),
        "p50": pick(0.50),
        "p90": pick(0.90),
        "p99": pick(0.99),
        "max": latencies[-1] if latencies else float("nan"),
        "errors": errors,
        "seen_per_viewer": seen / viewers,
    }


def _timed_get(url: str) -> tuple[float, int, int, bool]:
    """Seconds to the whole response, its status, its size, and whether it is the full chat page."""
    began = time.perf_counter()
    response = httpx.get(url, timeout=600)
    return time.perf_counter() - began, response.status_code, len(response.content), FULL_PAGE in response.text


def _until_full(url: str, began: float, ceiling: float = 900) -> float:
    """Seconds from `began` until `url` serves the full (analysed) chat page, asking twice a second."""
    while time.perf_counter() - began < ceiling:
        response = httpx.get(url, timeout=600)
        if response.status_code == 200 and FULL_PAGE in response.text:
            return time.perf_counter() - began
        time.sleep(0.5)
    raise SystemExit(f"{url} did not serve the full chat page within {ceiling:.0f} s")


def _start_server(db_url: str, output_dir: str) -> tuple[multiprocessing.process.BaseProcess, int]:
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(db_url, output_dir, port), daemon=True)
    server.start()
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/live.js", timeout=5)
            return server, port
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start within 120 s") from None
            time.sleep(0.2)


def _stop(server: multiprocessing.process.BaseProcess) -> None:
    server.terminate()
    server.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database", default=None, help="an empty database URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    from benchmarks.generate_x_chat import generate
    from transcripts.db import Database
    from transcripts.importers import import_path
    from transcripts.models import Event

    with tempfile.TemporaryDirectory() as folder:
        source = generate(args.posts, Path(folder) / "chat.jsonl")
        db_url = args.database or f"sqlite:///{Path(folder) / 'crowd.db'}"
        db = Database(db_url)
        [(event_id, stored)] = import_path(db, source)
        with db.session() as session:
            session.get(Event, event_id).status = "running"  # type: ignore[union-attr]
        db.dispose()
        page = f"/events/{event_id}"

        # 1. A server that has analysed nothing: the chat page is its first request.
        server, port = _start_server(db_url, str(Path(folder) / "out-cold"))
        try:
            began = time.perf_counter()
            cold = _timed_get(f"http://127.0.0.1:{port}{page}")
            cold_full = _until_full(f"http://127.0.0.1:{port}{page}", began)
        finally:
            _stop(server)
        server, port = _start_server(db_url, str(Path(folder) / "out-cold-transcript"))
        try:
            cold_transcript = _timed_get(f"http://127.0.0.1:{port}{page}/transcript?start=25000")
        finally:
            _stop(server)

        # 2. A fresh server where the chat is watched: the live page, then the crowd, then the chat page.
        server, port = _start_server(db_url, str(Path(folder) / "out"))
        base = f"http://127.0.0.1:{port}"
        try:
            live = _timed_get(f"{base}{page}/live")
            time.sleep(2)  # a visitor reads the live page before opening the chat page
            began = time.perf_counter()
            first_page = _timed_get(f"{base}{page}")  # ready, or the analysis the live page started is under way
            first_full = _until_full(f"{base}{page}", began)
            start_after = httpx.get(f"{base}{page}/live.json", params={"before": 1}).json()["last_id"]
            cpu_before, wall_before = _cpu_seconds(server.pid), time.monotonic()  # type: ignore[arg-type]
            writer = multiprocessing.get_context("spawn").Process(
                target=_writer, args=(db_url, event_id, args.seconds), daemon=True
            )
            writer.start()
            crowd = asyncio.run(_crowd(port, event_id, args.viewers, args.seconds, start_after))
            cores = (_cpu_seconds(server.pid) - cpu_before) / (time.monotonic() - wall_before)  # type: ignore[arg-type]
            writer.join(timeout=30)
            visitor = _timed_get(f"{base}{page}")
            transcript = _timed_get(f"{base}{page}/transcript?start=25000")
            peak_mb = _peak_rss_mb(server.pid)  # type: ignore[arg-type]
        finally:
            _stop(server)

    def shown(figures: tuple[float, int, int, bool]) -> str:
        return f"{figures[0]:.2f} s, {figures[2]:,} bytes, HTTP {figures[1]}"

    def kind(figures: tuple[float, int, int, bool]) -> str:
        return "the full page" if figures[3] else "the page saying the analysis is being prepared"

    print(f"chat of {stored:,} posts, {'PostgreSQL' if args.database else 'SQLite'}, 1 uvicorn worker")
    print(f"chat page cold (a server's first request, nothing analysed): {shown(cold)}, {kind(cold)}")
    print(f"chat page cold, until the same URL serves the full page: {cold_full:.2f} s")
    print(f"a transcript page cold (a fresh server's first request, 500 from the middle): {shown(cold_transcript)}")
    print(f"live page first load (a fresh server; starts the chat page's analysis): {shown(live)}")
    print(
        f"{args.viewers} viewers polling every {INTERVAL:.0f} s for {args.seconds:.0f} s, one new post a second: "
        f"{crowd['polls']:.0f} polls, p50 {crowd['p50']:.1f} ms, p90 {crowd['p90']:.1f} ms, p99 {crowd['p99']:.1f} ms, "
        f"max {crowd['max']:.1f} ms, errors {crowd['errors']:.0f}, "
        f"new posts seen per viewer {crowd['seen_per_viewer']:.1f}; server CPU {cores:.2f} cores"
    )
    print(f"chat page, its first request 2 s after the live page was opened: {shown(first_page)}, {kind(first_page)}")
    print(f"chat page, from that request until the full page is served: {first_full:.2f} s")
    print(f"chat page, a new visitor after the crowd: {shown(visitor)}")
    print(f"a transcript page (500 posts from the middle): {shown(transcript)}")
    print(f"server peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
