"""The report's own costs, apart from the analysis: start-up imports, load_event, render_page and the file writers.

Run: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_report_files --posts 50000 [--old /tmp/base-render]`
(`git worktree add /tmp/base-render 054fc28` makes the old checkout). A generated X chat is imported once
into a SQLite file; then each checkout (this one, and `--old`) times each step in a process of its own
with that checkout first on PYTHONPATH, best of `--repeat`, the two alternating. `--command` also times
the whole `huddlebot report --latest --no-pictures` command (best of `--repeat`), and prints it less
build_report, the analysis, which this benchmark leaves to others. Both checkouts' files are compared
(SHA-256; stats.json's clock blanked): the speed-up must not change a byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FILES = ("index.html", "transcript.md", "messages.csv", "stats.json", "record.json")
STEPS = (
    "imports", "load_event", "build_report", "question_of", "render_page", "write_markdown", "write_csv",
    "write_json", "write_stats",
)  # fmt: skip
IMPORTS = (
    "import time; t, c = time.perf_counter(), time.process_time(); import bot.cli, analysis.report; "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def _best(repeat: int, run: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    """(best wall seconds, best CPU seconds) of `repeat` runs, and the result: on a shared machine the CPU
    time is the steadier figure."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu = min(wall, time.perf_counter() - started), min(cpu, time.process_time() - started_cpu)
    return (wall, cpu), result


def worker(url: str, out: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Each step of write_report (without pictures), timed in this process; runs with either checkout."""
    import orjson

    from analysis.report import build_report, render_page, stats_document
    from config.settings import Settings
    from transcripts.db import Database
    from transcripts.exporters.atomic import write_text_atomic
    from transcripts.exporters.csv_export import write_csv
    from transcripts.exporters.json_export import write_json
    from transcripts.exporters.markdown import write_markdown
    from transcripts.snapshot import load_event

    db = Database(url)
    out.mkdir(parents=True, exist_ok=True)
    times: dict[str, tuple[float, float]] = {}

    def load() -> Any:
        with db.session() as session:
            return load_event(session, 1)

    times["load_event"], snapshot = _best(repeat, load)
    times["build_report"], report = _best(1, lambda: build_report(snapshot))
    snapshot = report.snapshot
    times["question_of"], question_of = _best(repeat, report.question_of)
    settings = Settings(_env_file=None)
    times["render_page"], page = _best(repeat, lambda: render_page(report, {}, cpd_links=[], settings=settings))
    write_text_atomic(out / "index.html", page)
    times["write_markdown"], _ = _best(repeat, lambda: write_markdown(snapshot, out / "transcript.md", question_of))
    times["write_csv"], _ = _best(repeat, lambda: write_csv(snapshot, out / "messages.csv", question_of))
    times["write_json"], _ = _best(repeat, lambda: write_json(snapshot, out / "record.json", question_of))
    stats = lambda: write_text_atomic(  # noqa: E731
        out / "stats.json", orjson.dumps(stats_document(report), option=orjson.OPT_INDENT_2).decode()
    )
    times["write_stats"], _ = _best(repeat, stats)
    db.dispose()
    return times


def _env(checkout: Path, url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout), "DATABASE_URL": url}


def _run_worker(checkout: Path, url: str, out: Path, repeat: int) -> dict[str, tuple[float, float]]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", url, str(out), str(repeat)],
        env=_env(checkout, url), capture_output=True, text=True, check=True, cwd=out.parent,
    )  # fmt: skip
    times = {k: (v[0], v[1]) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}
    imports = [
        subprocess.run([sys.executable, "-c", IMPORTS], env=_env(checkout, url), capture_output=True,
                       text=True, check=True, cwd=out.parent).stdout.split()
        for _ in range(repeat)
    ]  # fmt: skip
    times["imports"] = (min(float(w) for w, _ in imports), min(float(c) for _, c in imports))
    return times


def _command(checkout: Path, url: str, out: Path) -> tuple[float, float]:
    """The whole command's wall seconds and CPU seconds (its process's user + system time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "--latest", "--no-pictures", "--out", str(out)],
        env=_env(checkout, url), capture_output=True, check=True, cwd=out.parent,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.perf_counter() - started, cpu


def _digests(folder: Path) -> dict[str, str]:
    out = {}
    for name in FILES:
        data = (folder / name).read_bytes()
        if name == "stats.json":
            data = re.sub(rb'\n  "generated_at": "[^"]*"', b"", data)
        out[name] = hashlib.sha256(data).hexdigest()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--old", type=Path, help="the old code's checkout (git worktree add /tmp/base-render 054fc28)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--command", action="store_true", help="also time the whole report command")
    args = parser.parse_args()
    from benchmarks.generate_x_chat import generate
    from transcripts.db import Database
    from transcripts.importers import import_path

    checkouts = {"new": ROOT, **({"old": args.old.resolve()} if args.old else {})}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'record.db'}"
        db = Database(url)
        import_path(db, generate(args.posts, folder / "chat.jsonl"))
        db.dispose()
        results: dict[str, dict[str, tuple[float, float]]] = {}
        for name in sorted(checkouts, reverse=True):  # old first, then new: alternating, in one run
            results[name] = _run_worker(checkouts[name], url, folder / f"out-{name}", args.repeat)
        if args.command:
            commands: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
            for _ in range(args.repeat):
                for name in sorted(checkouts, reverse=True):
                    commands[name].append(_command(checkouts[name], url, folder / f"cmd-{name}"))
            for name in checkouts:
                best = (min(w for w, _ in commands[name]), min(c for _, c in commands[name]))
                build = results[name]["build_report"]
                results[name]["command"] = best
                results[name]["command - build_report"] = (best[0] - build[0], best[1] - build[1])
        names = sorted(checkouts, reverse=True)
        rows = [*STEPS, "writers + render + load", *(("command", "command - build_report") if args.command else ())]
        for name in names:
            r = results[name]
            parts = [r[s] for s in STEPS if s not in ("imports", "build_report")]
            r["writers + render + load"] = (sum(w for w, _ in parts), sum(c for _, c in parts))
        print(f"{args.posts} posts, best of {args.repeat} (seconds; wall | CPU)")
        head = "".join(f"{n + ' wall':>10}" for n in names) + "".join(f"{n + ' CPU':>10}" for n in names)
        print(f"{'step':24}{head}" + ("  old/new CPU" if "old" in checkouts else ""))
        for step in rows:
            line = f"{step:24}" + "".join(f"{results[n][step][0]:>10.3f}" for n in names)
            line += "".join(f"{results[n][step][1]:>10.3f}" for n in names)
            if "old" in checkouts:
                line += f"{results['old'][step][1] / max(results['new'][step][1], 1e-9):>12.1f}x"
            print(line)
        if "old" in checkouts:
            same = _digests(folder / "out-new") == _digests(folder / "out-old")
            print("files byte-identical (stats.json's clock aside):", "yes" if same else "NO")
            if args.command:
                print("command files byte-identical:", _digests(folder / "cmd-new") == _digests(folder / "cmd-old"))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.path.pop(0)  # this folder: the checkout under test comes from PYTHONPATH
        print(json.dumps(worker(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
