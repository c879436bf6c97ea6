"""Which question each post answers.

Participants rarely link an answer to its question in one consistent way, so we use the strongest
evidence first: an answer stored explicitly (a huddle form field), an explicit `A3`/`Q3` marker, a
reply to or quote of the question post, and only then the time window between one question and the
next. Reposts answer nothing; the question posts themselves are not answers; and in a chat, nothing the
host or a co-host posts is an answer: their follow-up questions and welcomes run the chat, they do not
answer it, and counting them would credit the host with "answering" every question.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from analysis.compact import PerPost
from transcripts.snapshot import EventSnapshot, PromptView, fields_of

MARKER_RE = re.compile(r"(?<![\w#@/])[AaQq]\s?(\d{1,2})(?=[\s:.,;)\-–—]|$)")
LEADING_MENTIONS_RE = re.compile(r"^(?:[.]?@\w+[\s,]*)+")


@dataclass(frozen=True, slots=True)
class Assignment:
    prompt_id: int
    number: int | None
    method: str  # form | thread | marker | reply | quote | window


def marker_number(text: str) -> int | None:
    """The question number of an explicit A/Q marker near the start of a post, if any."""
    body = LEADING_MENTIONS_RE.sub("", text, count=1) if text.startswith(("@", ".@")) else text
    m = MARKER_RE.search(body[:40])
    return int(m.group(1)) if m else None


def host_handles(snapshot: EventSnapshot) -> frozenset[str]:
    """The lower-cased handles of a chat's host and co-hosts (none for a huddle: its members answer)."""
    if snapshot.kind != "chat":
        return frozenset()
    named = [snapshot.host or "", *snapshot.cohosts]
    return frozenset(h.lstrip("@").lower() for h in named if h.lstrip("@"))


def minute_precision(snapshot: EventSnapshot) -> bool:
    """True when the source timed posts to the minute only (a WeCommunities page, a replay of one).

    Then a question posted "at 20:03:17" by the bot and a reply stamped "20:03" happened in the same
    minute, in an order the seconds cannot tell: compare at the source's precision instead.
    """
    prompt_posts = {pid for p in snapshot.prompts for pid in p.post_ids}
    others = False
    for platform_id, t in fields_of(snapshot.messages, "platform_id", "created_at"):
        if platform_id not in prompt_posts:
            if t.second or t.microsecond:  # one post timed to the second is enough to say no
                return False
            others = True
    return others


def asked_at(question: PromptView, to_minute: bool) -> datetime | None:
    """When a question was asked (posted, else due), to the minute when the source is only that precise."""
    moment = question.posted_at or question.due_at
    if moment is not None and to_minute:
        moment = moment.replace(second=0, microsecond=0)
    return moment


class QuestionWindows:
    """The time window of each question, from its asking to the next question's: computed here once, for
    assigning answers and for placing posts under their question in a transcript."""

    def __init__(self, snapshot: EventSnapshot) -> None:
        to_minute = minute_precision(snapshot)
        self._timed = sorted((at, q.id, q) for q in snapshot.questions if (at := asked_at(q, to_minute)) is not None)
        self._starts = [t for t, _, _ in self._timed]

    def at(self, moment: datetime) -> PromptView | None:
        """The question whose window holds `moment`; None before the first question."""
        i = bisect.bisect_right(self._starts, moment)
        return self._timed[i - 1][2] if i else None


def assign_answers(snapshot: EventSnapshot) -> Mapping[int, Assignment]:
    """Message id -> the question it answers, for every message that answers one."""
    questions = snapshot.questions
    if not questions:
        return {}
    hosts = host_handles(snapshot)
    by_number = {q.number: q for q in questions if q.number is not None}
    by_post: dict[str, PromptView] = {}
    for q in questions:
        for post_id in q.post_ids:
            by_post[post_id] = q
    all_prompt_posts = {pid for p in snapshot.prompts for pid in p.post_ids}
    windows = QuestionWindows(snapshot)
    prompts_by_id = {p.id: p for p in snapshot.prompts}
    # Whose posts are the host's, decided once per person rather than once per post.
    by_hosts = {pid for pid, p in snapshot.people.items() if p.handle.lower() in hosts} if hosts else set()
    made = _Assignments()

    # A large chat's answers in arrays (analysis.compact): a dict of a million entries is a hundred megabytes.
    result: dict[int, Assignment] | PerPost[Assignment] = {} if isinstance(snapshot.messages, list) else PerPost()
    put = result.__setitem__ if isinstance(result, dict) else result.add
    explicit_answers = snapshot.explicit_answers
    for mid, is_repost, platform_id, author_id, created_at, text, reply_to, quote_of in fields_of(
        snapshot.messages, "id", "is_repost", "platform_id", "author_id", "created_at", "text", "reply_to", "quote_of"
    ):
        explicit = explicit_answers.get(mid)
        if explicit:
            prompt = prompts_by_id.get(explicit[0])
            put(mid, Assignment(explicit[0], prompt.number if prompt else None, explicit[1]))
            continue
        if is_repost or platform_id in all_prompt_posts:
            continue
        if author_id in by_hosts:
            continue
        found = _by_evidence(text, reply_to, quote_of, by_number, by_post, made)
        if found is None and (q := windows.at(created_at)) is not None:
            found = made(q, "window")
        if found is not None:
            put(mid, found)
    return result


class _Assignments(dict[tuple[int, str], Assignment]):
    """One (immutable) Assignment per question and method, shared by every post it applies to: a chat of
    50,000 posts has a few dozen distinct ones, not tens of thousands."""

    def __call__(self, q: PromptView, method: str) -> Assignment:
        found = self.get((q.id, method))
        if found is None:
            found = self[q.id, method] = Assignment(q.id, q.number, method)
        return found


def _by_evidence(
    text: str,
    reply_to: str | None,
    quote_of: str | None,
    by_number: dict[int, PromptView],
    by_post: dict[str, PromptView],
    made: _Assignments,
) -> Assignment | None:
    """A post's question by its own evidence (its text's marker, the post it replies to or quotes)."""
    number = marker_number(text)
    if number is not None and number in by_number:
        return made(by_number[number], "marker")
    if reply_to and reply_to in by_post:
        return made(by_post[reply_to], "reply")
    if quote_of and quote_of in by_post:
        return made(by_post[quote_of], "quote")
    return None
