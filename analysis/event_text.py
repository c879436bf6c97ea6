"""One event's original posts, tokenised once, with the names to leave out of clouds and themes."""

from __future__ import annotations

from collections import Counter
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass

from analysis.text import Corpus, people_names, rank_themes
from transcripts.snapshot import EventSnapshot, MessageView, field_of, fields_of


@dataclass(frozen=True, slots=True)
class EventText:
    corpus: Corpus  # original posts (not reposts) by message id
    names: frozenset[str]

    def counts(self, keys: list[int] | None = None) -> Counter[str]:
        return self.corpus.counts(keys, exclude=self.names)

    def themes(self, keys: list[int] | None = None, *, top: int, background: Counter[str] | None = None) -> list[str]:
        return self.corpus.themes(keys, top=top, background=background, exclude=self.names)

    def themes_at(self, places: Iterable[int], *, top: int, background: Counter[str] | None = None) -> list[str]:
        """themes() of the texts at these places of the corpus (Corpus.keys)."""
        return rank_themes(self.corpus.counts_at(places, exclude=self.names), top=top, background=background)


class _OriginalTexts(Mapping[int, str]):
    """The original posts' texts by message id, read from the posts each time they are gone through rather
    than held: a large chat's posts are made as they are read (transcripts.snapshot.CompactMessages)."""

    def __init__(self, messages: Sequence[MessageView]) -> None:
        self._messages = messages

    def __iter__(self) -> Iterator[int]:
        return (mid for mid, is_repost in fields_of(self._messages, "id", "is_repost") if not is_repost)

    def __len__(self) -> int:
        return sum(1 for is_repost in field_of(self._messages, "is_repost") if not is_repost)

    def __getitem__(self, key: int) -> str:
        for m in self._messages:
            if m.id == key and not m.is_repost:
                return m.text
        raise KeyError(key)

    def items(self) -> ItemsView[int, str]:
        return _Items(self)

    def values(self) -> ValuesView[str]:
        return _Values(self)


class _Items(ItemsView[int, str]):
    _mapping: _OriginalTexts

    def __iter__(self) -> Iterator[tuple[int, str]]:
        fields = fields_of(self._mapping._messages, "id", "text", "is_repost")
        return ((mid, text) for mid, text, is_repost in fields if not is_repost)


class _Values(ValuesView[str]):
    _mapping: _OriginalTexts

    def __iter__(self) -> Iterator[str]:
        fields = fields_of(self._mapping._messages, "text", "is_repost")
        return (text for text, is_repost in fields if not is_repost)


def event_text(snapshot: EventSnapshot) -> EventText:
    texts: Mapping[int, str]
    if isinstance(snapshot.messages, list):
        texts = {m.id: m.text for m in snapshot.messages if not m.is_repost}
    else:  # a large chat's posts, read as they are needed: its texts are never all held as strings
        texts = _OriginalTexts(snapshot.messages)
    names = people_names(texts.values(), (p.name for p in snapshot.people.values()))
    return EventText(Corpus(texts), frozenset(names))
