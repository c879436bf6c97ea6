"""`huddlebot demo` replays the seed chat through the bot and reproduces its totals: 171 posts, 14 people."""

from __future__ import annotations

import json
from pathlib import Path

from bot.demo import run_demo


def test_demo_reproduces_the_seed_totals_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    for run in range(2):  # a second run replaces the first demo rather than adding to it
        out = tmp_path / f"out{run}"
        result = run_demo(url, out, speed=360)
        assert (result.messages, result.contributors) == (171, 14)
        stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
        assert (stats["messages"], stats["contributors"], stats["reposts"]) == (171, 14, 5)
        assert [q["number"] for q in stats["questions"]] == [1, 2, 3, 4, 5, 6]
        assert result.index.exists() and (out / "cpd" / "evelyn_prodger.docx").exists()
