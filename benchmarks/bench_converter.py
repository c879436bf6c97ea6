"""huddlebot beside the tool its users pick today: twarc-csv's `twarc2 csv`, on the same twarc2 file, in one run.

Run: `.venv/bin/pip install -e '.[bench]'` once (the converter is a benchmark-only dependency), then
`.venv/bin/python -m benchmarks.bench_converter [--posts 50000 200000] [--rounds 3] [--pictures]
[--old PATH]`. For each size a twarc2 JSONL file of X API v2 response pages is generated, and each round
runs, one after the other so both see the same machine: the converter's CSV conversion, then
`huddlebot import` into a new SQLite file and `huddlebot report --no-pictures` (with `--pictures`, a
report with pictures too). Each is a fresh process, so its wall time includes starting Python and its
peak RSS is its own (from wait4: the larger of the report's and its forked writer's, not their sum).
The load averages before and after each size, and each command's CPU time (its forked writer's
included), are printed too: on a shared machine the wall times move with the load. With `--old PATH` the
same commands also run against an older checkout (PYTHONPATH=PATH), for before and after in the same run.
Issue 16 item 3 asks for import + report together faster than the converter at 50k and 200k posts, and
memory flat in the posts.

The converter's CSV row count is printed beside our stored message count: they should agree.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    cpu_seconds: float  # user + system time of the command and the processes it waited for (a forked writer)


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Wall time and the child's own peak RSS; a failure stops the benchmark with its output."""
    began = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        shown = output.decode(errors="replace")
        sys.exit(f"bench_converter: {' '.join(command)} failed ({child.returncode}):\n{shown}")
    return Run(took, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def converter(source: Path, folder: Path) -> Run:
    target = folder / "converter.csv"
    target.unlink(missing_ok=True)
    # twarc2 asks for credentials before any command unless a token is set; csv never calls the API.
    env = {**os.environ, "BEARER_TOKEN": "not-used-by-csv"}
    command = [str(BIN / "twarc2"), "csv", "--hide-progress", "--hide-stats", str(source), str(target)]
    return timed(command, env, cwd=folder)  # twarc2 writes its twarc.log into the working folder


def converter_rows(folder: Path) -> int:
    with (folder / "converter.csv").open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def ours(source: Path, folder: Path, pythonpath: str | None, pictures: bool) -> tuple[Run, Run]:
    database = folder / "huddlebot.db"
    database.unlink(missing_ok=True)
    out = folder / "report"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HUDDLEBOT_OUTPUT_DIR": str(folder / "output")}
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cli = [sys.executable, "-c", "from bot.cli import app; app()"]
    # From the scratch folder: `python -c` puts the working folder first on sys.path, before PYTHONPATH.
    imported = timed([*cli, "import", str(source)], env, cwd=folder)
    flag = "--pictures" if pictures else "--no-pictures"
    reported = timed([*cli, "report", "--latest", flag, "--out", str(out)], env, cwd=folder)
    return imported, reported


def stored_messages(folder: Path) -> int:
    import sqlite3

    with sqlite3.connect(folder / "huddlebot.db") as conn:
        return conn.execute("SELECT count(*) FROM messages").fetchone()[0]


def row(label: str, seconds: float, peak_mb: float | None, converter_seconds: float, cpu: float | None) -> str:
    peak = f"{peak_mb:>8.0f}" if peak_mb is not None else f"{'':>8}"
    used = f"{cpu:>8.2f}" if cpu is not None else f"{'':>8}"
    return f"  {label:34} {seconds:>8.2f} {peak} {seconds / converter_seconds:>12.2f} {used}"


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes): on a shared machine, read the times beside them."""
    return "load " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pictures", action="store_true", help="also time the report with its pictures")
    parser.add_argument("--old", help="an older checkout to measure beside this one (PYTHONPATH)")
    args = parser.parse_args()
    if not (BIN / "twarc2").exists():
        sys.exit("bench_converter: the converter is not installed; run `.venv/bin/pip install -e '.[bench]'`")
    here = str(Path(__file__).resolve().parents[1])
    versions = {"new": here} | ({"old": args.old} if args.old else {})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for posts in args.posts:
            source = folder / f"chat-{posts}.jsonl"
            # In a process of its own: Linux keeps a process's peak RSS across fork and exec, so a parent
            # grown by generating the file would lend that peak to every command measured after it.
            subprocess.run(
                [sys.executable, "-m", "benchmarks.generate_x_chat", "--posts", str(posts), "--out", str(source)],
                check=True, cwd=here, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            loads = [load()]
            conv: list[Run] = []
            mine: dict[str, list[tuple[Run, Run]]] = {name: [] for name in versions}
            drawn: dict[str, list[tuple[Run, Run]]] = {name: [] for name in versions}
            for _ in range(args.rounds):
                conv.append(converter(source, folder))
                for name, path in versions.items():
                    mine[name].append(ours(source, folder, path, pictures=False))
                    if args.pictures:
                        drawn[name].append(ours(source, folder, path, pictures=True))
            loads.append(load())
            rows, stored = converter_rows(folder), stored_messages(folder)
            c = best(conv)
            print(f"\n{posts:,} posts ({source.stat().st_size / 1e6:.0f} MB of JSONL), best of {args.rounds}, "
                  f"one run, interleaved; converter rows {rows:,}, huddlebot messages {stored:,}")  # fmt: skip
            print(f"  {loads[0]} before, {loads[1]} after; CPU: user + system seconds of the best round")
            print(f"  {'':34} {'seconds':>8} {'peak MB':>8} {'x converter':>12} {'CPU s':>8}")
            print(row("twarc2 csv (twarc-csv)", c.seconds, c.peak_mb, c.seconds, c.cpu_seconds))
            print(f"  {'  (median of rounds)':34} {statistics.median(r.seconds for r in conv):>8.2f}")
            for name in versions:
                for label, runs in (("", mine[name]), (" with pictures", drawn[name])):
                    if not runs:
                        continue
                    imp = best([r[0] for r in runs])
                    rep = best([r[1] for r in runs])
                    both = min(r[0].seconds + r[1].seconds for r in runs)
                    print(row(f"{name}: import", imp.seconds, imp.peak_mb, c.seconds, imp.cpu_seconds))
                    print(row(f"{name}: report{label}", rep.seconds, rep.peak_mb, c.seconds, rep.cpu_seconds))
                    print(row(f"{name}: import + report{label}", both, None, c.seconds, None))
            source.unlink()


if __name__ == "__main__":
    main()
