"""The engagement wheel's labels never cover a node (issue 14)."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis.engagement import draw_wheel, render_wheel
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import load_event


def test_no_label_overlaps_any_node_on_the_seed_wheel(db: Database, seed_chat: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        snap = load_event(s, event_id)
    fig = draw_wheel(snap)
    assert fig is not None
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    [ax] = fig.axes
    [nodes] = [c for c in ax.collections if len(c.get_offsets()) == len(ax.texts)]
    centres = ax.transData.transform(nodes.get_offsets())
    radii = [math.sqrt(size) / 2 * fig.dpi / 72 for size in nodes.get_sizes()]
    assert len(ax.texts) == 14
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        for (cx, cy), r in zip(centres, radii, strict=True):
            nearest_x = min(max(cx, box.x0), box.x1)
            nearest_y = min(max(cy, box.y0), box.y1)
            assert math.hypot(cx - nearest_x, cy - nearest_y) > r, f"{text.get_text()} covers a node"
        inside = box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
        assert inside, f"{text.get_text()} is cut off"


def test_wheel_png_is_written(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        snap = load_event(s, event_id)
    path = render_wheel(snap, tmp_path / "wheel.png")
    assert path is not None and path.read_bytes()[:4] == b"\x89PNG"
