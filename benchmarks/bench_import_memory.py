"""Peak memory of `huddlebot import` against the number of posts in a twarc2 JSONL file.

Run: `.venv/bin/python -m benchmarks.bench_import_memory [--posts 50000 200000]`. Each import runs in a
fresh process (so its peak RSS is its own) into a new SQLite file; prints posts, seconds and peak RSS,
and the RSS per 1,000 posts, so growth with the file's size shows at a glance. Issue 16 item 3 asks
for import memory flat in the number of posts (under 400 MB at 1,000,000).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.generate_x_chat import generate

CHILD = """
import resource, sys, time
from pathlib import Path
from transcripts.db import Database
from transcripts.importers import import_path
db = Database(sys.argv[2])
start = time.perf_counter()
[(_, new)] = import_path(db, Path(sys.argv[1]))
took = time.perf_counter() - start
print(new, round(took, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def measure(posts: int, folder: Path) -> tuple[int, float, int]:
    source = folder / f"chat-{posts}.jsonl"
    if not source.exists():
        generate(posts, source)
    url = f"sqlite:///{folder}/import-{posts}.db"
    out = subprocess.run([sys.executable, "-c", CHILD, str(source), url], check=True, capture_output=True, text=True)
    new, took, rss_mb = out.stdout.split()
    return int(new), float(took), int(rss_mb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, nargs="+", default=[50_000, 200_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'posts':>9} {'seconds':>8} {'peak RSS MB':>12} {'MB per 1k posts':>16}")
        for posts in args.posts:
            new, took, rss = measure(posts, Path(folder))
            print(f"{new:>9,} {took:>8.2f} {rss:>12,} {rss / (posts / 1000):>16.2f}")


if __name__ == "__main__":
    main()
