"""Report records whose posts span far more than a chat: time and peak RSS of `write_report` per shape.

Run: `PYTHONPATH=. .venv/bin/python benchmarks/bench_report_spans.py [--chat-posts 50000]`.
Each shape (tests/analysis/spans.py: posts 23 months apart, 215 posts over 10.7 years, 100 posts over
four days, a chat with one stored post dated 9999-12-31) and a generated 50,000-post one-hour chat for
scale is stored in a fresh SQLite file and reported with pictures, each in its own process, so the
peak RSS printed is that report's own. Aim (issue 16.1): every shape in seconds, within a few hundred MB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def _one(shape: str, chat_posts: int, folder: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from analysis.report import write_report
    from tests.analysis.spans import SHAPES, START, store_shape
    from transcripts.db import Database

    one_hour = [START + timedelta(seconds=3600 * i / chat_posts) for i in range(chat_posts)]
    moments = SHAPES.get(shape, one_hour)
    db = Database(f"sqlite:///{folder}/{abs(hash(shape))}.db")
    event_id = store_shape(db, moments)
    started = time.perf_counter()
    report_dir = Path(folder) / f"out-{abs(hash(shape))}"
    write_report(db, event_id, report_dir)
    seconds = time.perf_counter() - started
    stats = json.loads((report_dir / "stats.json").read_text(encoding="utf-8"))
    out.put(
        {
            "shape": shape,
            "posts": len(moments),
            "seconds": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "bucket": stats["activity_bucket"],
            "rows": len(stats["activity"]),
            "stats_kb": (report_dir / "stats.json").stat().st_size / 1024,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chat-posts", type=int, default=50_000)
    args = parser.parse_args()
    from tests.analysis.spans import SHAPES

    shapes = [*SHAPES, f"{args.chat_posts} posts in one hour"]
    context = multiprocessing.get_context("spawn")
    print(f"{'shape':42} {'posts':>7} {'report s':>9} {'peak MB':>8} {'bucket':>10} {'rows':>5} {'stats KB':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for shape in shapes:
            queue = context.Queue()
            child = context.Process(target=_one, args=(shape, args.chat_posts, folder, queue))
            child.start()
            result = queue.get(timeout=900)
            child.join()
            print(
                f"{result['shape']:42} {result['posts']:>7} {result['seconds']:>9.2f} {result['peak_mb']:>8.0f} "
                f"{result['bucket']:>10} {result['rows']:>5} {result['stats_kb']:>9.1f}"
            )


if __name__ == "__main__":
    main()
