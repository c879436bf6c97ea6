"""Recognising a host's question posts ("Question One:", "Q1:") in any platform's transcript."""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
HOST_QUESTION_RE = re.compile(r"\b(?:Question\s+(?P<word>\w+)|Q(?P<num>\d{1,2}))\b\s*[:.\-]", re.IGNORECASE)


def question_number(text: str) -> int | None:
    """The number a question post announces, or None if it does not announce one."""
    if "q" not in text and "Q" not in text:  # both forms start with a Q; most posts have none, so skip the search
        return None
    m = HOST_QUESTION_RE.search(text)
    if not m:
        return None
    if m["num"]:
        return int(m["num"])
    word = m["word"].lower()
    return NUMBER_WORDS.get(word) or (int(word) if word.isdigit() else None)
