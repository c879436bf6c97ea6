"""The words written in lower case, listed a stretch of texts at a time (analysis.text._lower_case_words):
the same words as one findall over the whole string, wherever the stretches end; and the names a large
chat's batches give are those of its texts taken whole."""

from __future__ import annotations

import re

import pytest

import analysis.text as text_module
from tests.analysis.test_analysis_same_results import _random_texts

LOWER_WORD = re.compile(r"\b[a-z]+\b")


@pytest.mark.parametrize("stretch", [0, 1, 5, 37, 1000, 1 << 18])
def test_lower_case_words_a_stretch_at_a_time_are_those_of_the_whole_string(
    stretch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_module, "_LOWER_STRETCH", stretch)
    texts = [*_random_texts(3000, 23), "", "", "end", "x", "Escalation", "sbar", "Hi Emma"]
    for start in range(0, len(texts), 250):
        joined = text_module._APART.join(texts[start : start + 250])
        assert text_module._lower_case_words(joined) == set(LOWER_WORD.findall(joined))
    assert text_module._lower_case_words("") == set()
    assert text_module._lower_case_words(text_module._APART) == set()


def test_names_of_a_chat_read_in_batches_are_those_of_the_whole_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*_random_texts(2000, 29), "Hi Ottoline, welcome", "Thanks Marc!", "Teresa here", "the marc of it"]
    texts += [f"Welcome {name}!" for name in ("Aaron", "Bella", "Cyril", "Dmitri", "Edith") * 10]
    whole = text_module.introduced_names(texts)
    assert {"ottoline", "teresa", "aaron"} <= whole and "marc" not in whole  # written in lower case elsewhere
    monkeypatch.setattr(text_module, "_NAMES_AT_A_TIME", 97)
    monkeypatch.setattr(text_module, "_LOWER_STRETCH", 301)
    assert text_module.introduced_names(texts) == whole
