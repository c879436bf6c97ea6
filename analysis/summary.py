"""The chat summary: for each question, how many answered, the themes, and the answers that carry them.

Themes are the terms distinctive of a question's answers against the whole chat, so a word every
answer uses (the topic itself) does not crowd out what set each question apart. The answers shown
are the ones that carry most of those themes: a reader sees the evidence, not just the labels.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from analysis.answers import Assignment
from analysis.event_text import EventText, event_text
from transcripts.snapshot import EventSnapshot, MessageView

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


def summarise(snapshot: EventSnapshot, assignments: dict[int, Assignment], text: EventText | None = None) -> Summary:
    zone = ZoneInfo(snapshot.timezone)
    text = text or event_text(snapshot)
    originals = [m for m in snapshot.messages if not m.is_repost]
    background = text.counts()
    by_prompt: dict[int, list[MessageView]] = defaultdict(list)
    for m in originals:
        a = assignments.get(m.id)
        if a:
            by_prompt[a.prompt_id].append(m)

    questions = []
    for q in snapshot.questions:
        answers = by_prompt.get(q.id, [])
        q_themes = text.themes([m.id for m in answers], top=THEMES_PER_QUESTION, background=background)
        questions.append(
            QuestionSummary(
                number=q.number,
                text=q.text,
                answers=len(answers),
                contributors=len({m.author_id for m in answers}),
                themes=q_themes,
                carrying=_carrying(snapshot, answers, q_themes, zone, text),
            )
        )
    posts = Counter(map(attrgetter("author_id"), snapshot.messages))
    top = [
        {"handle": snapshot.people[pid].handle, "posts": n}
        for pid, n in sorted(posts.items(), key=lambda kv: (-kv[1], snapshot.people[kv[0]].handle.lower()))[:5]
    ]
    return Summary(
        questions=questions,
        themes=text.themes(top=8),
        top_contributors=top,
    )


def _carrying(
    snapshot: EventSnapshot, answers: list[MessageView], q_themes: list[str], zone: ZoneInfo, text: EventText
) -> list[QuotedAnswer]:
    # Rank by how many themes an answer carries, then the longest, then the earliest (then the first posted);
    # only the few shown need their themes listed.
    wanted = frozenset(q_themes)
    terms = text.corpus.terms
    scored = []
    for i, m in enumerate(answers):
        carried = len(wanted.intersection(terms[m.id]))
        if carried:
            scored.append((-carried, -len(m.text), m.created_at, i))
    shown = [answers[i] for *_, i in heapq.nsmallest(CARRYING_ANSWERS, scored)]
    return [
        QuotedAnswer(
            snapshot.author(m).handle,
            m.created_at.astimezone(zone).strftime("%H:%M"),
            m.text,
            [t for t in q_themes if t in terms[m.id]],
        )
        for m in shown
    ]
