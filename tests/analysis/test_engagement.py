"""The engagement wheel links contributors by replies and mentions, and is drawn as a picture."""

from __future__ import annotations

from pathlib import Path

from analysis.engagement import engagement_edges, render_wheel, wheel_data
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import load_event


def test_seed_wheel(db: Database, seed_chat: Path, tmp_path: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        snap = load_event(s, event_id)
    edges = engagement_edges(snap)
    contributors = {p.handle for p in snap.people.values()}
    assert edges and all(e.source in contributors and e.target in contributors for e in edges)
    assert all(e.source != e.target for e in edges)
    strongest = edges[0]
    assert (strongest.source, strongest.target) == ("evelyn_prodger", "wehcmanagers")
    assert strongest.weight == strongest.replies + strongest.mentions > 20
    data = wheel_data(snap)
    assert data["nodes"][0] == {"handle": "wehcmanagers", "posts": 51}
    assert len(data["nodes"]) == 14
    picture = render_wheel(snap, tmp_path / "wheel.png")
    assert picture is not None and picture.stat().st_size > 10_000
