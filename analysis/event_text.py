"""One event's original posts, tokenised once, with the names to leave out of clouds and themes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from analysis.text import Corpus, people_names
from transcripts.snapshot import EventSnapshot


@dataclass(frozen=True, slots=True)
class EventText:
    corpus: Corpus  # original posts (not reposts) by message id
    names: frozenset[str]

    def counts(self, keys: list[int] | None = None) -> Counter[str]:
        return self.corpus.counts(keys, exclude=self.names)

    def themes(self, keys: list[int] | None = None, *, top: int, background: Counter[str] | None = None) -> list[str]:
        return self.corpus.themes(keys, top=top, background=background, exclude=self.names)


def event_text(snapshot: EventSnapshot) -> EventText:
    texts = {m.id: m.text for m in snapshot.messages if not m.is_repost}
    names = people_names(texts.values(), (p.name for p in snapshot.people.values()))
    return EventText(Corpus(texts), frozenset(names))
