"""Import and report a generated 50,000-post X chat; compare with a bare sqlite3 executemany.

Run: `.venv/bin/python -m benchmarks.bench_import_report [--posts 50000] [--old DIR] [--no-report] [--rounds 3]`.
Prints the import rate (posts/s) through `import_path`, each import in a fresh process, beside a
bare `sqlite3.executemany` of the same rows into the same migrated table in the same run, and their
ratio; `--old DIR` also times the code checked out at DIR (e.g. `git worktree add /tmp/base 054fc28`)
in the same interleaved rounds. Then the report time without and with pictures, and peak memory.
Aims (issue 16): import >= 1/2 of the bare rate; report < 10 s without pictures, < 20 s with; < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.report import write_report
from transcripts.db import Database
from transcripts.importers import import_path, parse_path

ROUNDS = 3
ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import sys, time
from pathlib import Path
from transcripts.db import Database
from transcripts.importers import import_path
db = Database(sys.argv[2])
started, cpu = time.perf_counter(), time.process_time()
[(_, new)] = import_path(db, Path(sys.argv[1]))
print(new, time.perf_counter() - started, time.process_time() - cpu)
"""


def bare_rate(source: Path, folder: Path) -> tuple[float, float]:
    """Posts/s (wall clock, CPU) for a bare sqlite3 executemany of the same rows into the same, migrated
    messages table.

    Same schema, indexes and foreign keys as ours, rows prepared beforehand: what the database itself
    costs, so the ratio shows our own overhead (parsing, mapping, participants, bookkeeping).
    """
    (event,) = parse_path(source)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bare.db"
    Database(f"sqlite:///{path}").dispose()  # create the real schema
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "INSERT INTO events (id, kind, title, platforms, starts_at, timezone, status, created_at)"
        " VALUES (1, 'chat', 't', '[]', '2024-05-01 19:00:00.000000', 'UTC', 'closed', '2024-05-01 19:00:00.000000')"
    )
    authors: dict[str, int] = {}
    for m in event.messages:
        authors.setdefault(m.author.id, len(authors) + 1)
    conn.executemany(
        "INSERT INTO participants (id, platform, platform_user_id, handle, protected, updated_at)"
        " VALUES (?, 'x', ?, ?, 0, '2024-05-01 19:00:00.000000')",
        [(i, a, a) for a, i in authors.items()],
    )
    rows = [
        (1, m.platform, m.id, m.channel, authors[m.author.id], m.text, m.created_at.isoformat(" "), m.reply_to,
         m.thread, m.quote_of, m.repost_of, int(m.is_repost), json.dumps(list(m.mentions)),
         json.dumps(list(m.hashtags)), json.dumps(list(m.urls)), json.dumps(m.raw), m.created_at.isoformat(" "))
        for m in event.messages
    ]  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    conn.executemany(
        "INSERT INTO messages (event_id, platform, platform_id, channel, participant_id, text, created_at,"
        " reply_to, thread, quote_of, repost_of, is_repost, mentions, hashtags, urls, raw, captured_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
        rows,
    )
    conn.commit()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return len(rows) / elapsed, len(rows) / cpu


def import_seconds(code: Path, source: Path, url: str, posts: int) -> tuple[float, float]:
    """Seconds (wall clock, CPU) `import_path` of the checkout `code` takes over `source`, in a fresh
    process of its own. CPU time is the steadier figure on a shared machine, where waiting for a core
    shows as wall-clock time."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), url],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        check=True,
        capture_output=True,
        text=True,
    )
    new, seconds, cpu = out.stdout.split()
    assert int(new) == posts, f"{code}: stored {new} of {posts}"
    return float(seconds), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--old", type=Path, help="a checkout of the code to compare with, timed in the same rounds")
    parser.add_argument("--no-report", action="store_true", help="time the import only")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="interleaved rounds, best kept (more on a busy machine)"
    )
    args = parser.parse_args()
    codes = {"new": ROOT, **({"old": args.old.resolve()} if args.old else {})}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "chat.jsonl"
        # Generated in a process of its own, so its garbage does not weigh on what is measured here.
        subprocess.run(
            [sys.executable, "-m", "benchmarks.generate_x_chat", "--posts", str(args.posts), "--out", str(source)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = dict.fromkeys([*codes, "bare"], float("inf"))
        cpu = dict(wall)
        for attempt in range(args.rounds):  # interleaved, best kept, each into a fresh database: the machine is shared
            for name, code in codes.items():
                url = f"sqlite:///{folder / f'{name}-{attempt}.db'}"
                seconds, cpu_seconds = import_seconds(code, source, url, args.posts)
                wall[name], cpu[name] = min(wall[name], seconds), min(cpu[name], cpu_seconds)
            bare_wall, bare_cpu = bare_rate(source, folder / f"bare-{attempt}")
            wall["bare"] = min(wall["bare"], args.posts / bare_wall)
            cpu["bare"] = min(cpu["bare"], args.posts / bare_cpu)
        print(f"posts: {args.posts}")
        print(
            f"bare sqlite3 executemany of the same rows into the same table: {args.posts / wall['bare']:,.0f} posts/s"
            f" ({args.posts / cpu['bare']:,.0f} posts per CPU second)"
        )
        for name in codes:
            print(
                f"import {name} (import_path: parse + store, one transaction): {wall[name]:.2f} s ="
                f" {args.posts / wall[name]:,.0f} posts/s, {wall['bare'] / wall[name]:.2f} of bare (aim >= 0.5);"
                f" CPU {cpu[name]:.2f} s, {cpu['bare'] / cpu[name]:.2f} of bare's CPU rate"
            )
        print(f"(best of {args.rounds} each, interleaved)")
        if args.no_report:
            return
        db = Database(f"sqlite:///{folder / 'report.db'}")
        [(event_id, _)] = import_path(db, source)
        started = time.perf_counter()
        write_report(db, event_id, folder / "plain", pictures=False)
        plain_seconds = time.perf_counter() - started
        started = time.perf_counter()
        write_report(db, event_id, folder / "full", pictures=True)
        full_seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        db.dispose()
    print(f"report without pictures: {plain_seconds:.2f} s (aim < 10 s)")
    print(f"report with pictures: {full_seconds:.2f} s (aim < 20 s)")
    print(f"peak memory of this process (bare peer, import, reports): {peak_mb:,.0f} MB (aim < 1024 MB)")


if __name__ == "__main__":
    main()
