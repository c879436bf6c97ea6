"""The activity timeline picture: posts per minute, with each question marked where it was asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from analysis.stats import QuestionStats


def render_timeline(per_minute: list[dict[str, Any]], questions: list[QuestionStats], path: Path) -> Path | None:
    """A bar per minute (local time) with dashed lines at question times; None when nothing was said."""
    if not per_minute:
        return None
    labels = [row["local"] for row in per_minute]
    counts = [row["messages"] for row in per_minute]
    # Figure without pyplot: no global state, so reports can be drawn from worker threads.
    fig = Figure(figsize=(12, 3.6), dpi=100)
    ax = fig.subplots()
    ax.bar(range(len(counts)), counts, color="#2a6f97", width=0.85)
    index = {label: i for i, label in enumerate(labels)}
    for q in questions:
        if q.posted_at in index:
            x = index[q.posted_at]
            ax.axvline(x, color="#c1121f", linestyle="--", linewidth=1)
            ax.text(x + 0.3, max(counts) * 0.95, f"Q{q.number}", color="#c1121f", fontsize=9, va="top")
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)])
    ax.set_ylabel("posts per minute")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
