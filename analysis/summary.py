"""The chat summary: for each question, how many answered, the themes, and the answers that carry them.

Themes are the terms distinctive of a question's answers against the whole chat, so a word every
answer uses (the topic itself) does not crowd out what set each question apart. The answers shown
are the ones that carry most of those themes: a reader sees the evidence, not just the labels.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from analysis.answers import Assignment
from analysis.event_text import EventText, event_text
from transcripts.snapshot import EventSnapshot, fields_of

THEMES_PER_QUESTION = 5
CARRYING_ANSWERS = 3


@dataclass(slots=True)
class QuotedAnswer:
    handle: str
    local_time: str
    text: str
    themes: list[str]


@dataclass(slots=True)
class QuestionSummary:
    number: int | None
    text: str
    answers: int
    contributors: int
    themes: list[str]
    carrying: list[QuotedAnswer] = field(default_factory=list)


@dataclass(slots=True)
class Summary:
    questions: list[QuestionSummary]
    themes: list[str]
    top_contributors: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(snapshot: EventSnapshot, assignments: Mapping[int, Assignment], text: EventText | None = None) -> Summary:
    zone = ZoneInfo(snapshot.timezone)
    text = text or event_text(snapshot)
    background = text.counts()
    # Each prompt's answers (original posts) by their places in the text's corpus, and who gave them: a
    # large chat's posts are made as they are read, so none is held here (the few quoted are found in a
    # second pass, `_carrying`).
    answers = _Answers(text)
    answerers: dict[int, set[int]] = defaultdict(set)
    posts: Counter[int] = Counter()
    for mid, author_id, is_repost in fields_of(snapshot.messages, "id", "author_id", "is_repost"):
        posts[author_id] += 1
        if is_repost:
            continue
        original = answers.next(mid)
        a = assignments.get(mid)
        if a:
            answers.add(a.prompt_id, original, mid)
            answerers[a.prompt_id].add(author_id)

    questions = []
    for q in snapshot.questions:
        questions.append(
            QuestionSummary(
                number=q.number,
                text=q.text,
                answers=answers.count(q.id),
                contributors=len(answerers.get(q.id, ())),
                themes=answers.themes(q.id, top=THEMES_PER_QUESTION, background=background),
            )
        )
    _carrying(snapshot, assignments, questions, zone, text)
    top = [
        {"handle": snapshot.people[pid].handle, "posts": n}
        for pid, n in sorted(posts.items(), key=lambda kv: (-kv[1], snapshot.people[kv[0]].handle.lower()))[:5]
    ]
    return Summary(
        questions=questions,
        themes=text.themes(top=8),
        top_contributors=top,
    )


class _Answers:
    """Each prompt's answers as their places in the corpus of `text`, while the original posts are met in
    the corpus's own order (as event_text made it from this snapshot), else as their message ids."""

    def __init__(self, text: EventText) -> None:
        self.text = text
        self.keys = text.corpus.keys
        self.aligned = True
        self.place = -1
        self.places: dict[int, array[int]] = {}
        self.ids: dict[int, array[int]] = {}

    def next(self, mid: int) -> int:
        """The next original post's place in the corpus (-1 once the posts are not in the corpus's order)."""
        self.place += 1
        if self.aligned and (self.place >= len(self.keys) or self.keys[self.place] != mid):
            self.aligned = False
        return self.place if self.aligned else -1

    def add(self, prompt_id: int, place: int, mid: int) -> None:
        for found, value in ((self.places, place), (self.ids, mid)):
            numbers = found.get(prompt_id)
            if numbers is None:
                numbers = found[prompt_id] = array("q")
            numbers.append(value)

    def count(self, prompt_id: int) -> int:
        return len(self.ids.get(prompt_id, ()))

    def themes(self, prompt_id: int, *, top: int, background: Counter[str]) -> list[str]:
        if self.aligned:
            return self.text.themes_at(self.places.get(prompt_id, ()), top=top, background=background)
        return self.text.themes(list(self.ids.get(prompt_id, ())), top=top, background=background)


def _carrying(
    snapshot: EventSnapshot,
    assignments: Mapping[int, Assignment],
    questions: list[QuestionSummary],
    zone: ZoneInfo,
    text: EventText,
) -> None:
    """Each question's answers that carry most of its themes, into its `carrying`: ranked by how many
    themes an answer carries, then the longest, then the earliest (then the first posted). One pass over
    the posts for every question, keeping each one's best few; only those shown need their themes listed."""
    by_prompt = {q.id: summary for q, summary in zip(snapshot.questions, questions, strict=True) if summary.themes}
    if not by_prompt:
        return
    wanted = {prompt_id: frozenset(summary.themes) for prompt_id, summary in by_prompt.items()}
    # Each question's best few so far: (rank, (author id, text, time, terms)), the rank's last part the
    # answer's place among the question's answers.
    best: dict[int, list[tuple[tuple[int, int, datetime, int], tuple[int, str, datetime, list[str]]]]] = {
        p: [] for p in by_prompt
    }
    seen: Counter[int] = Counter()  # each prompt's answers so far
    corpus = text.corpus
    keys, terms_at, terms_of = corpus.keys, corpus.terms_at, corpus.terms_of
    place = -1
    for mid, is_repost, author_id, said, created_at in fields_of(
        snapshot.messages, "id", "is_repost", "author_id", "text", "created_at"
    ):
        if is_repost:
            continue
        place += 1
        a = assignments.get(mid)
        if a is None or a.prompt_id not in by_prompt:
            continue
        answer = seen[a.prompt_id]
        seen[a.prompt_id] = answer + 1
        terms = terms_at(place) if place < len(keys) and keys[place] == mid else terms_of(mid)
        carried = len(wanted[a.prompt_id].intersection(terms))
        if carried:
            kept = best[a.prompt_id]
            key = (-carried, -len(said), created_at, answer)
            if len(kept) < CARRYING_ANSWERS:
                kept.append((key, (author_id, said, created_at, terms)))
            elif key < (worst := max(kept))[0]:
                kept.remove(worst)
                kept.append((key, (author_id, said, created_at, terms)))
    for prompt_id, summary in by_prompt.items():
        q_themes = summary.themes
        for _, (author_id, said, created_at, terms) in sorted(best[prompt_id]):
            summary.carrying.append(
                QuotedAnswer(
                    snapshot.people[author_id].handle,
                    created_at.astimezone(zone).strftime("%H:%M"),
                    said,
                    [t for t in q_themes if t in terms],
                )
            )
