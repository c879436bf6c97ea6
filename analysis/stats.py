"""Counts, impressions and reach of one event.

Impressions = sum over contributors of (their posts x their followers); reach = sum of followers of
unique contributors (the definitions Symplur and Tweet Binder use). A follower count we do not know
makes the total unknown (None), never 0: a number that silently undercounts is worse than none.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from analysis.activity import activity_series, local_wall_time
from analysis.answers import Assignment
from transcripts.snapshot import EventSnapshot, field_of, fields_of


@dataclass(slots=True)
class ParticipantStats:
    handle: str
    name: str | None
    platform: str
    posts: int = 0
    originals: int = 0
    reposts: int = 0
    replies: int = 0
    answers: int = 0
    followers: int | None = None
    impressions: int | None = None
    first_post: str | None = None
    last_post: str | None = None


@dataclass(slots=True)
class QuestionStats:
    number: int | None
    text: str
    posted_at: str | None  # local time HH:MM in the event's zone
    posted_at_utc: str | None
    answers: int = 0
    contributors: int = 0


@dataclass(slots=True)
class EventStats:
    messages: int
    contributors: int
    originals: int
    reposts: int
    replies: int
    answers: int
    impressions: int | None
    reach: int | None
    followers_known: int
    questions: list[QuestionStats] = field(default_factory=list)
    participants: list[ParticipantStats] = field(default_factory=list)
    activity_bucket: str | None = None  # the size of each activity row: "minute" for a chat, up to years
    activity: list[dict[str, Any]] = field(default_factory=list)  # posts per bucket, see analysis.activity
    # Posts their authors deleted: not in any count above (they are not shown), said so beside the counts.
    deleted_posts: int = 0
    counts_include_deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def per_minute(self) -> list[dict[str, Any]]:
        """The activity rows under the name the report's timeline has always drawn them by."""
        return self.activity


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return local_wall_time(moment, zone).strftime("%H:%M") if moment else None


def compute_stats(snapshot: EventSnapshot, assignments: Mapping[int, Assignment]) -> EventStats:
    """All counts for one event; participants ordered by posts (most first), then handle."""
    zone = ZoneInfo(snapshot.timezone)
    people: dict[int, ParticipantStats] = {}
    last_post: dict[int, datetime] = {}  # written out once per person at the end, not once per post
    answerers: dict[int, set[int]] = defaultdict(set)
    for mid, author_id, created_at, is_repost, reply_to, reply_to_handle in fields_of(
        snapshot.messages, "id", "author_id", "created_at", "is_repost", "reply_to", "reply_to_handle"
    ):
        ps = people.get(author_id)
        if ps is None:
            person = snapshot.people[author_id]
            ps = people[author_id] = ParticipantStats(person.handle, person.name, person.platform)
            ps.followers = person.followers
            ps.first_post = created_at.isoformat()
        ps.posts += 1
        last_post[author_id] = created_at
        if is_repost:
            ps.reposts += 1
        else:
            ps.originals += 1
        if reply_to is not None or reply_to_handle is not None:  # MessageView.is_reply
            ps.replies += 1
        assignment = assignments.get(mid)
        if assignment:
            ps.answers += 1
            answerers[assignment.prompt_id].add(author_id)

    for author_id, moment in last_post.items():
        people[author_id].last_post = moment.isoformat()
    known = [p for p in people.values() if p.followers is not None]
    all_known = len(known) == len(people)
    for p in people.values():
        p.impressions = p.posts * p.followers if p.followers is not None else None
    answers_per_prompt = Counter(a.prompt_id for a in assignments.values())
    asked = {q.number: q.posted_at or q.due_at for q in snapshot.questions if q.number is not None}
    activity = activity_series(field_of(snapshot.messages, "created_at"), zone, {n: t for n, t in asked.items() if t})
    questions = [
        QuestionStats(
            number=q.number,
            text=q.text,
            posted_at=_local(q.posted_at or q.due_at, zone),
            posted_at_utc=(q.posted_at or q.due_at).isoformat() if (q.posted_at or q.due_at) else None,
            answers=answers_per_prompt.get(q.id, 0),
            contributors=len(answerers.get(q.id, ())),
        )
        for q in snapshot.questions
    ]
    return EventStats(
        deleted_posts=len(snapshot.deleted_at_times),
        messages=len(snapshot.messages),
        contributors=len(people),
        originals=sum(p.originals for p in people.values()),
        reposts=sum(p.reposts for p in people.values()),
        replies=sum(p.replies for p in people.values()),
        answers=len(assignments),
        impressions=sum(p.impressions or 0 for p in people.values()) if all_known and people else None,
        reach=sum(p.followers or 0 for p in people.values()) if all_known and people else None,
        followers_known=len(known),
        questions=questions,
        participants=sorted(people.values(), key=lambda p: (-p.posts, p.handle.lower())),
        activity_bucket=activity[0]["bucket"] if activity else None,
        activity=activity,
    )
