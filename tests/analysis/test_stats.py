"""The seed chat's own totals are reproduced: 14 contributors, 171 tweets, per-person counts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from analysis.answers import assign_answers
from analysis.stats import compute_stats
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import load_event


def _counted_by_hand(seed: Path) -> Counter[str]:
    """Count entries straight off the page: an @handle line followed by a date line."""
    lines = seed.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "#WeHCMs transcript")
    counts: Counter[str] = Counter()
    for here, after in zip(lines[start:], lines[start + 1 :], strict=False):
        if re.fullmatch(r"@\w+", here) and re.fullmatch(r"\d{1,2} \w+ \d{4} \d\d:\d\d", after):
            counts[here[1:].lower()] += 1
    return counts


def test_seed_totals_and_per_participant_counts(db: Database, seed_chat: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        snap = load_event(s, event_id)
    stats = compute_stats(snap, assign_answers(snap))
    assert (stats.messages, stats.contributors, stats.reposts) == (171, 14, 5)
    assert stats.originals == 166
    by_hand = _counted_by_hand(seed_chat)
    assert {p.handle.lower(): p.posts for p in stats.participants} == dict(by_hand)
    assert stats.participants[0].handle == "wehcmanagers" and stats.participants[0].posts == 51
    assert stats.participants[1].handle == "evelyn_prodger" and stats.participants[1].posts == 41
    assert [q.posted_at for q in stats.questions] == ["20:03", "20:11", "20:18", "20:26", "20:36", "20:44"]
    assert sum(row["messages"] for row in stats.per_minute) == 171


def test_unknown_followers_make_impressions_and_reach_unknown(db: Database, seed_chat: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        snap = load_event(s, event_id)
    stats = compute_stats(snap, assign_answers(snap))
    assert stats.impressions is None and stats.reach is None
    assert stats.followers_known == 0
    assert all(p.impressions is None for p in stats.participants)
