"""Time the chat analysis (`analysis.report.build_report`, no page, no pictures) on a generated X chat.

Run: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_analysis --posts 50000 [--old /tmp/base-text]`.
The chat is generated (benchmarks.generate_x_chat) and imported into a SQLite file once; each
measurement runs in a fresh process that loads the snapshot once and times `build_report` best of
`--repeat`, in wall-clock and CPU seconds (CPU time is the steadier figure on a shared machine).
With `--old CHECKOUT` the same measurement runs against that checkout's code too, alternating old and
new `--rounds` times in the same run, so both see the same machine. `--work DIR` keeps the chat and
its database there and reuses them on the next run (a 200,000-post import takes minutes).
Aim (issue 16): build_report at 50,000 posts within 3 s, and linear in the number of posts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
CHECKOUT = HERE.parent.parent


def measure(db_url: str, repeat: int) -> dict[str, float]:
    """Load the event once and time build_report; imports whatever `analysis` is first on the path."""
    from analysis.report import build_report
    from transcripts.db import Database
    from transcripts.snapshot import load_event

    db = Database(db_url)
    with db.session() as session:
        snapshot = load_event(session, 1)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        build_report(snapshot)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    db.dispose()
    return {"wall": min(walls), "cpu": min(cpus), "messages": len(snapshot.messages)}


def _in_child(checkout: Path, db_url: str, repeat: int) -> dict[str, float]:
    """The measurement in a new process with `checkout` first on the path (run as a file, not a module,
    so an old checkout without this script can be measured too)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, str(HERE), "--measure", db_url, "--repeat", str(repeat)],
        env=env, cwd=checkout, check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _prepare(posts: int, folder: Path) -> str:
    """The generated chat imported into a SQLite file in `folder` (reused when already there)."""
    from benchmarks.generate_x_chat import generate
    from transcripts.db import Database
    from transcripts.importers import import_path

    db_path = folder / f"chat-{posts}.db"
    url = f"sqlite:///{db_path}"
    if not db_path.exists():
        chat = generate(posts, folder / f"chat-{posts}.jsonl")
        db = Database(f"sqlite:///{folder / 'importing.db'}")
        import_path(db, chat)
        db.dispose()
        (folder / "importing.db").rename(db_path)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--old", type=Path, help="a checkout of the old code to measure in the same run")
    parser.add_argument("--rounds", type=int, default=1, help="old/new measurements, alternating")
    parser.add_argument("--repeat", type=int, default=3, help="build_report runs per measurement (best counts)")
    parser.add_argument("--work", type=Path, help="keep the chat and its database here, and reuse them")
    parser.add_argument("--measure", metavar="DB_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.work or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        url = _prepare(args.posts, folder)
        sides = [("old", args.old.resolve()), ("new", CHECKOUT)] if args.old else [("new", CHECKOUT)]
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for name, checkout in sides:
                r = _in_child(checkout, url, args.repeat)
                took = f"build_report {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU"
                print(f"{name}: {r['messages']:.0f} messages, {took}")
                if name not in best or r["cpu"] < best[name]["cpu"]:
                    best[name] = r
        if "old" in best:
            old, new = best["old"], best["new"]
            print(
                f"best: old {old['wall']:.2f} s wall / {old['cpu']:.2f} s CPU, new {new['wall']:.2f} s wall / "
                f"{new['cpu']:.2f} s CPU: {old['cpu'] / new['cpu']:.1f}x less CPU"
            )


if __name__ == "__main__":
    main()
