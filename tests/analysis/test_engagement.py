"""The engagement wheel links contributors by replies and mentions, and is drawn as a picture."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.engagement import engagement_edges, render_wheel, wheel_data
from tests.analysis.builders import person, post, snapshot
from tests.analysis.pictures import assert_drawn
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
    assert picture is not None
    assert_drawn(picture)


def test_replies_by_id_or_handle_mentions_once_no_reposts_or_self_edges() -> None:
    people = [person(1, "Ann"), person(2, "bob"), person(3, "cy")]
    snap = snapshot(
        people,
        [
            post(1, 1, "Q1 what helps?"),
            post(2, 2, "@Ann SBAR", reply_to="p1", mentions=("Ann",)),  # the reply's own @ is not also a mention
            post(3, 3, "@ann agreed", reply_to_handle="ANN"),  # imported page: reply known only by its handle
            post(4, 3, "and @bob said so", reply_to="p3", mentions=("bob", "bob", "nobody")),  # self-reply dropped
            post(5, 2, "RT @Ann: Q1 what helps?", is_repost=True, repost_of="p1", mentions=("Ann",)),
        ],
    )
    got = {(e.source, e.target): (e.replies, e.mentions, e.weight) for e in engagement_edges(snap)}
    assert got == {("bob", "Ann"): (1, 0, 1), ("cy", "Ann"): (1, 0, 1), ("cy", "bob"): (0, 1, 1)}
    data = wheel_data(snap)
    assert json.loads(json.dumps(data)) == data
    assert data["nodes"] == [{"handle": "bob", "posts": 2}, {"handle": "cy", "posts": 2}, {"handle": "Ann", "posts": 1}]
