"""Per-post results of a large chat held in arrays: a million posts' answers or sections take a few
megabytes, where a dict of them takes a hundred.

`Places` finds a message id's place in an array of ids (by bisection, through a sorted copy when the ids
are not in order); `PerPost` is a read-only mapping of message id -> a value with few distinct values
(a section number, an Assignment), in the order its posts were added, as the dict it replaces was;
equal values are held once.
Lookups made in the order the posts were added (every pass over a chat's posts) take one comparison.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Generic, TypeVar

V = TypeVar("V")
_WIDER = {"B": "H", "H": "I", "I": "Q"}


class Places:
    """Where each id of `ids` is; the ids are distinct."""

    def __init__(self, ids: array[int]) -> None:
        self.ids = ids
        self._sorted: array[int] | None = None
        self._order: array[int] | None = None
        self._checked = False
        self._next = 0

    def place(self, key: int) -> int | None:
        """The place of `key` in the ids; None when it is not there."""
        ids, at = self.ids, self._next
        if at < len(ids) and ids[at] == key:  # the one after the last looked up: a pass in order
            self._next = at + 1
            return at
        if not self._checked:
            self._checked = True
            if not all(a < b for a, b in pairwise(ids)):
                order = sorted(range(len(ids)), key=ids.__getitem__)
                self._order = array("Q", order)
                self._sorted = array("q", map(ids.__getitem__, order))
        found = self._sorted if self._sorted is not None else ids
        i = bisect.bisect_left(found, key)
        if i == len(found) or found[i] != key:
            return None
        at = self._order[i] if self._order is not None else i
        self._next = at + 1
        return at


class PerPost(Mapping[int, V], Generic[V]):
    """Message id -> value, for the posts added (each once), in the order added."""

    def __init__(self) -> None:
        self._ids: array[int] = array("q")
        self._codes: array[int] = array("B")
        self._values: list[V] = []
        self._code_of: dict[V, int] = {}  # each distinct value's code (values are hashable: numbers, Assignments)
        self._places: Places | None = None

    def add(self, key: int, value: V) -> None:
        code = self._code_of.get(value)
        if code is None:
            code = self._code_of[value] = len(self._values)
            self._values.append(value)
            if code >= 1 << (8 * self._codes.itemsize):
                self._codes = array(_WIDER[self._codes.typecode], self._codes)
        self._ids.append(key)
        self._codes.append(code)
        self._places = None

    def _place(self, key: object) -> int | None:
        if not isinstance(key, int):
            return None
        if self._places is None:
            self._places = Places(self._ids)
        return self._places.place(key)

    def __getitem__(self, key: int) -> V:
        at = self._place(key)
        if at is None:
            raise KeyError(key)
        return self._values[self._codes[at]]

    def get(self, key: int, default: V | None = None) -> V | None:  # type: ignore[override]
        at = self._place(key)
        return default if at is None else self._values[self._codes[at]]

    def __contains__(self, key: object) -> bool:
        return self._place(key) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
