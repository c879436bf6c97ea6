"""The timeline picture: one bar per activity row, its bucket named, question labels never behind bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation

from analysis.answers import assign_answers
from analysis.stats import QuestionStats, compute_stats
from analysis.timeline import render_timeline, timeline_figure
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import load_event


def _question(n: int) -> QuestionStats:
    return QuestionStats(number=n, text=f"Question {n}?", posted_at=None, posted_at_utc=None)


def _rows(counts: list[int], asked: dict[int, list[int]], bucket: str = "minute") -> list[dict[str, Any]]:
    return [
        {"start": f"2024-01-01T19:{i:02d}:00+00:00", "local": f"19:{i:02d}", "bucket": bucket, "messages": c,
         "questions": asked.get(i, [])}
        for i, c in enumerate(counts)
    ]  # fmt: skip


def _check_labels_clear(rows: list[dict[str, Any]], questions: list[QuestionStats]) -> list[str]:
    """Every question label is drawn inside the picture, over no bar and over no other label."""
    fig = timeline_figure(rows, questions)
    assert fig is not None
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = fig.axes[0]
    bars = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes = [t.get_window_extent(renderer) for t in labels]
    width, height = fig.bbox.width, fig.bbox.height
    for text, box in zip(labels, boxes, strict=True):
        assert not any(box.overlaps(bar) for bar in bars), text.get_text()
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, (text.get_text(), box)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    return [t.get_text() for t in labels]


def test_labels_sit_above_the_tallest_bars_and_do_not_collide() -> None:
    counts = [3] * 60
    asked: dict[int, list[int]] = {}
    for n, minute in enumerate((5, 6, 7, 8, 30, 59), start=1):  # four questions in four neighbouring minutes
        counts[minute] = 40  # the question's own minute is the busiest
        asked.setdefault(minute, []).append(n)
    asked[30].append(7)  # two questions in one bucket share one label
    questions = [_question(n) for n in range(1, 8)]
    labels = _check_labels_clear(_rows(counts, asked), questions)
    assert sorted(labels) == ["Q1", "Q2", "Q3", "Q4", "Q5, Q7", "Q6"]


def test_the_axis_names_the_bucket_and_each_row_is_one_bar() -> None:
    rows = _rows([1, 0, 5, 2], {2: [1]}, bucket="week")
    fig = timeline_figure(rows, [_question(1)])
    assert fig is not None
    ax = fig.axes[0]
    assert ax.get_ylabel() == "posts per week"
    assert len(ax.patches) == 4


def test_nothing_said_draws_nothing(tmp_path: Path) -> None:
    assert render_timeline([], [], tmp_path / "t.png") is None
    assert not (tmp_path / "t.png").exists()


@pytest.mark.parametrize("width_rows", [60, 360])
def test_labels_clear_at_every_density(width_rows: int) -> None:
    counts = [10 + (i % 7) for i in range(width_rows)]
    asked = {i: [n] for n, i in enumerate(range(0, width_rows, max(1, width_rows // 40)), start=1)}
    for i in asked:
        counts[i] = 99
    _check_labels_clear(_rows(counts, asked), [_question(n) for n in range(1, 50)])


def test_the_seed_chats_question_labels_are_clear(db: Database, seed_chat: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as session:
        snap = load_event(session, event_id)
    stats = compute_stats(snap, assign_answers(snap))
    labels = _check_labels_clear(stats.activity, stats.questions)
    assert sorted(labels) == [f"Q{n}" for n in range(1, 7)]
