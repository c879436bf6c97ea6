"""The activity timeline picture: posts per bucket of time, with each question marked where it was asked.

One bar per row of the activity series (`analysis.activity`: minutes for a chat, coarser buckets for
a longer record, never more than its MAX_ROWS), so drawing costs the same for a chat whose posts span
an hour or a decade. The question labels sit in a band above the plot area, where no bar can reach,
and are stacked when they would overlap one another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.stats import QuestionStats

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

QUESTION_COLOUR = "#c1121f"
LABEL_GAP_POINTS = 3
LABEL_STEP_POINTS = 12


def timeline_figure(rows: list[dict[str, Any]], questions: list[QuestionStats]) -> Figure | None:
    """The figure: a bar per bucket (local time), a dashed line and a label at each question's bucket.

    matplotlib loads here, not with the module: a report without pictures never needs it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not rows:
        return None
    labels = [row["local"] for row in rows]
    counts = [row["messages"] for row in rows]
    bucket = rows[0].get("bucket", "minute")
    numbers = {q.number for q in questions}
    # Figure without pyplot: no global state, so reports can be drawn from worker threads.
    fig = Figure(figsize=(12, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.bar(range(len(counts)), counts, color="#2a6f97", width=0.85)
    ax.set_xlim(-0.6, len(counts) - 0.4)
    ax.set_ylim(0, max(max(counts), 1) * 1.05)
    marks = []
    for x, row in enumerate(rows):
        asked = [n for n in row.get("questions", []) if n in numbers]
        if asked:
            ax.axvline(x, color=QUESTION_COLOUR, linestyle="--", linewidth=1)
            marks.append((x, ", ".join(f"Q{n}" for n in asked)))
    _place_labels(fig, ax, marks)
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)])
    ax.set_ylabel(f"posts per {bucket}")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _place_labels(fig: Figure, ax: Any, marks: list[tuple[int, str]]) -> list[Text]:
    """Question labels above the plot area (no bar reaches there), each on the lowest free line."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list[list[Any]] = []  # per line, the extents already taken
    texts = []
    for x, label in marks:
        line = 0
        while True:
            text = ax.annotate(
                label,
                xy=(x, 1),
                xycoords=("data", "axes fraction"),
                xytext=(0, LABEL_GAP_POINTS + line * LABEL_STEP_POINTS),
                textcoords="offset points",
                ha="center",
                va="bottom",
                color=QUESTION_COLOUR,
                fontsize=9,
                annotation_clip=False,
            )
            box = text.get_window_extent(renderer)
            if line >= len(placed):
                placed.append([])
            if not any(box.overlaps(other) for other in placed[line]):
                placed[line].append(box)
                texts.append(text)
                break
            text.remove()
            line += 1
    return texts


def render_timeline(per_minute: list[dict[str, Any]], questions: list[QuestionStats], path: Path) -> Path | None:
    """Draw the timeline of the activity rows to `path`; None when nothing was said."""
    fig = timeline_figure(per_minute, questions)
    if fig is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
