"""Peak memory of the `huddlebot import` CLI against the number of posts in a twarc2 JSONL file.

Run: `.venv/bin/python -m benchmarks.bench_import_memory [--posts 50000 200000 1000000] [--old DIR]
[--folder DIR]`. Each import is the real CLI in a fresh process (so its peak RSS, read from the
kernel's accounting of that one child, is its own) into a new SQLite file; prints posts, seconds, peak
RSS and RSS per 1,000 posts, so growth with the file's size shows at a glance. `--old DIR` also runs
the code checked out at DIR (e.g. `git worktree add /tmp/base 054fc28`) on the same files, interleaved.
Generated files are kept in `--folder` (a temporary folder by default) and reused when present.
Issue 16 item 3 asks for import memory flat in the number of posts (under 400 MB at 1,000,000).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from bot.cli import app; sys.argv[0] = 'huddlebot'; sys.exit(app())"


def measure(code: Path, source: Path, folder: Path) -> tuple[int, float, int]:
    """(new posts, seconds, peak RSS in MB) of `huddlebot import source` run from the checkout `code`."""
    db = folder / f"import-{os.getpid()}-{time.monotonic_ns()}.db"
    env = {**os.environ, "PYTHONPATH": str(code), "DATABASE_URL": f"sqlite:///{db}"}
    out_path, err_path = Path(f"{db}.out"), Path(f"{db}.err")
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", CLI, "import", str(source)], cwd=code, env=env, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage: its peak RSS alone
        took = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    output, errors = out_path.read_text(), err_path.read_text()
    for suffix in ("", "-wal", "-shm", ".out", ".err"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if child.returncode != 0:
        raise SystemExit(f"import failed ({code}): {errors[-2000:]}")
    new = int(output.split("\t")[1].split()[0])
    return new, took, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--old", type=Path, help="a checkout of the code to compare with, run on the same files")
    parser.add_argument("--folder", type=Path, help="where generated files are kept (default: a temporary folder)")
    args = parser.parse_args()
    codes = [("new", ROOT)] + ([("old", args.old.resolve())] if args.old else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'code':>4} {'posts':>9} {'seconds':>8} {'peak RSS MB':>12} {'MB per 1k posts':>16}", flush=True)
        for posts in args.posts:
            source = folder / f"chat-{posts}.jsonl"
            if not source.exists():
                # Generated in a process of its own: Linux carries a parent's peak RSS into every child
                # it forks, which would make each import look as big as the generator.
                subprocess.run(
                    [sys.executable, "-m", "benchmarks.generate_x_chat", "--posts", str(posts), "--out", str(source)],
                    cwd=ROOT,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            for name, code in codes:
                new, took, rss = measure(code, source, folder)
                assert new == posts, f"{name}: stored {new} of {posts}"
                print(f"{name:>4} {new:>9,} {took:>8.2f} {rss:>12,} {rss / (posts / 1000):>16.2f}", flush=True)


if __name__ == "__main__":
    main()
