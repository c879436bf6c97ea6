"""The faster analysis says exactly what the old one said (issue 16), on the seed, a generated chat and odd posts.

`data/analysis_results.json` was computed by the code before the speed-up (base commit 054fc28, see
`analysis_results.py` for the command); every part of it must come out the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.analysis.analysis_results import generated_chat, load_snapshot, results_of, tricky_results
from transcripts.db import Database

PINNED: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "analysis_results.json").read_text("utf-8"))


def _assert_same(found: dict[str, Any], pinned: dict[str, Any]) -> None:
    assert found.keys() == pinned.keys()
    for key in pinned:
        assert found[key] == pinned[key], key


def test_the_seed_chat_analysis_is_unchanged(db: Database, seed_chat: Path) -> None:
    _assert_same(results_of(load_snapshot(db, seed_chat), full_terms=True), PINNED["seed"])


def test_a_generated_chat_analysis_is_unchanged(db: Database, tmp_path: Path) -> None:
    _assert_same(results_of(load_snapshot(db, generated_chat(tmp_path)), full_terms=False), PINNED["generated"])


@pytest.fixture(scope="module")
def tricky() -> dict[str, Any]:
    return tricky_results()


@pytest.mark.parametrize("part", sorted(PINNED["tricky"]))
def test_odd_posts_give_the_same_terms(tricky: dict[str, Any], part: str) -> None:
    assert tricky[part] == PINNED["tricky"][part]
