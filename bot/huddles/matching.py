"""Which question of a huddle a thread reply answers: plain rules over the reply's text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

# "2: ...", "A2 ...", "2) ..." mark a thread reply as an answer to question 2.
NUMBER_PREFIX = re.compile(r"^\s*(?:[AQ])?(\d{1,2})\s*[:.)\-]\s*", re.IGNORECASE)
_WORD = re.compile(r"[a-z]{3,}")


class Numbered(Protocol):
    @property
    def number(self) -> int | None: ...
    @property
    def text(self) -> str: ...


Q = TypeVar("Q", bound=Numbered)


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    number: int | None
    text: str


def match_prompt(text: str, prompts: Sequence[Q]) -> tuple[Q, str]:
    """The question a reply answers, and how we know.

    A number prefix ("2: ...", "A2 ...") is explicit ("marker"); otherwise the question sharing the most
    words with the reply ("thread"), and the first question when nothing is shared.
    """
    m = NUMBER_PREFIX.match(text)
    if m:
        number = int(m.group(1))
        for p in prompts:
            if p.number == number:
                return p, "marker"
    words = set(_WORD.findall(text.lower()))
    best = max(prompts, key=lambda p: (len(words & set(_WORD.findall(p.text.lower()))), -(p.number or 0)))
    return best, "thread"


def strip_marker(text: str) -> str:
    return NUMBER_PREFIX.sub("", text, count=1)
