"""Peak memory of the `huddlebot report --no-pictures` CLI against the number of posts in the chat.

Run: `.venv/bin/python -m benchmarks.bench_report_memory [--posts 50000 200000 1000000] [--old DIR]
[--folder DIR]`. For each size a twarc2 JSONL file is generated (in a process of its own: Linux carries
a process's peak RSS into every child it forks, so a parent grown by generating the file would lend
that peak to every command measured after it) and imported once by this checkout's CLI into a new
SQLite file. Each report is then the real CLI in a fresh process writing into an empty folder, its
peak RSS read from the kernel's accounting of that one child (wait4). Prints posts, seconds, peak RSS,
RSS per 1,000 posts and the size of the files written, so growth with the chat's size shows at a
glance. `--old DIR` also reports from the code checked out at DIR (e.g. `git worktree add /tmp/base
15b7c63`), interleaved: from the same SQLite file when the two checkouts share its schema (the same
newest migration), else from a record of the same generated file imported by the old code's own CLI.
Generated files and records are kept in `--folder` (a temporary folder by default)
and reused when present. Issue 16 asks for the report's memory flat in the number of posts (under
400 MB at 1,000,000).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from bot.cli import app; sys.argv[0] = 'huddlebot'; sys.exit(app())"


def run_cli(code: Path, database: Path, args: list[str], folder: Path) -> tuple[str, float, int]:
    """(stdout, seconds, peak RSS in MB) of the CLI from the checkout `code`; a failure stops the benchmark."""
    env = {**os.environ, "PYTHONPATH": str(code), "DATABASE_URL": f"sqlite:///{database}"}
    stem = folder / f"run-{os.getpid()}-{time.monotonic_ns()}"
    out_path, err_path = Path(f"{stem}.out"), Path(f"{stem}.err")
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", CLI, *args], cwd=code, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage: its peak RSS alone
        took = time.perf_counter() - started
    output, errors = out_path.read_text(), err_path.read_text()
    out_path.unlink()
    err_path.unlink()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed ({code}): {errors[-2000:]}")
    return output, took, usage.ru_maxrss // 1024


def schema(code: Path) -> str:
    """The newest migration of the checkout `code`: two checkouts with the same one read the same record."""
    versions = sorted((code / "transcripts" / "migrations" / "versions").glob("[0-9]*.py"))
    return versions[-1].stem if versions else ""


def record(posts: int, folder: Path, code: Path = ROOT) -> Path:
    """A SQLite record of a generated chat of `posts` posts, imported by the CLI of `code` (when its schema is
    not this checkout's, into a record of its own), made once and kept in `folder`."""
    own = schema(code) == schema(ROOT)
    database = folder / (f"chat-{posts}.db" if own else f"chat-{posts}-{schema(code)}.db")
    if database.exists():
        return database
    source = folder / f"chat-{posts}.jsonl"
    if not source.exists():
        subprocess.run(
            [sys.executable, "-m", "benchmarks.generate_x_chat", "--posts", str(posts), "--out", str(source)],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    partial = folder / f"chat-{posts}.db.partial"
    partial.unlink(missing_ok=True)
    output, _, _ = run_cli(code, partial, ["import", str(source)], folder)
    stored = int(output.split("\t")[1].split()[0])
    assert stored == posts, f"stored {stored} of {posts}"
    partial.rename(database)
    for leftover in folder.glob(f"{partial.name}*"):  # the migration's lock file beside the database
        leftover.unlink()
    return database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--old", type=Path, help="a checkout of the code to compare with, on the same record")
    parser.add_argument("--folder", type=Path, help="where generated files and records are kept (default: temporary)")
    args = parser.parse_args()
    codes = [("new", ROOT)] + ([("old", args.old.resolve())] if args.old else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'code':>4} {'posts':>9} {'seconds':>8} {'peak RSS MB':>12} {'MB per 1k posts':>16} {'files MB':>9}")
        for posts in args.posts:
            for name, code in codes:
                database = record(posts, folder, code)
                out = folder / f"report-{name}-{posts}"
                shutil.rmtree(out, ignore_errors=True)
                args_ = ["report", "--latest", "--no-pictures", "--out", str(out)]
                output, took, rss = run_cli(code, database, args_, folder)
                assert f"{posts} messages" in output, output
                written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
                print(
                    f"{name:>4} {posts:>9,} {took:>8.2f} {rss:>12,} {rss / (posts / 1000):>16.2f} {written:>9.0f}",
                    flush=True,
                )
                shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
