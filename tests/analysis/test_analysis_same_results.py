"""The faster analysis says exactly what the old one said (issue 16), on the seed, a generated chat and odd posts.

`data/analysis_results.json` was computed by the code before the speed-up (base commit 054fc28, see
`analysis_results.py` for the command); every part of it must come out the same.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

import analysis.text as text_module
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


# The patterns as they were at 054fc28, before each was rewritten to start with its first character.
OLD_NAME_RES = (
    re.compile(r"\b(?:I'm|I’m|I am|[Ww]elcome|[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Tt]hank you)[\s,\-]+([A-Z][a-z]{2,})\b"),
    re.compile(r"\bfor joining us,? ([A-Z][a-z]{2,})\b"),
    re.compile(r"\b([A-Z][a-z]{2,}) here\b"),
)
PIECES = [
    *"aAqQmMpPhHtTsSwWfIeEr:/.,-@#＠＃0123456789 \n\t_'’éKkıİ\x00\x1c\u00a0\u2003",
    "am", "pm", "www.", "http://", "https://", ".com", ".co.uk", ".ly", "A1", "q 12", "10:30", "9 pm",
    "I'm ", "I am ", "Hi ", "hello", "Welcome ", "Thank you, ", "thanks ", "for joining us, ", " here", "Emma", "emma",
    "Marc", "marc's", "on-call", "out of hours",
]  # fmt: skip


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 16))) for _ in range(count)]


def _old_tokens(text: str) -> list[str]:
    """analysis.text.tokens as it was at 054fc28."""
    out = []
    for word in text_module._WORD_RE.findall(text_module._STRIP_RE.sub(" ", text)):
        if "'" in word or "’" in word:
            word = word.replace("’", "'")
            if word.lower().endswith("'s"):
                word = word[:-2]
            word = word.replace("'", "")
        out.append(word)
    return out


def test_the_quick_strip_takes_out_what_the_one_regex_took_out() -> None:
    for text in _random_texts(20_000, 16):
        assert text_module.strip(text) == text_module._STRIP_RE.sub(" ", text), repr(text)
        assert text_module.tokens(text) == _old_tokens(text), repr(text)


def test_names_found_in_one_pass_are_the_names_found_post_by_post() -> None:
    texts = _random_texts(20_000, 17)
    for start in range(0, len(texts), 500):
        chunk = texts[start : start + 500]
        names = {m.lower() for t in chunk for p in OLD_NAME_RES for m in p.findall(t)} - text_module.STOPWORDS
        lower_words = {w for t in chunk for w in re.findall(r"\b[a-z]+\b", t)}
        assert text_module.introduced_names(chunk) == names - lower_words
        many = [*chunk, *(f"Hi {n}" for n in ("Aaron", "Bella", "Cyril", "Dmitri", "Edith") * 8)]
        assert text_module.introduced_names(many) == text_module.introduced_names(chunk) | {
            "aaron", "bella", "cyril", "dmitri", "edith"
        } - lower_words  # fmt: skip
