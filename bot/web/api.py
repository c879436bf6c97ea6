"""The JSON API: the public chats, their messages and stats, described by the app's OpenAPI document.

Only public chats are served here (`bot.web.visibility`); huddles and anything from Slack are private to
their workspace and appear only on its dashboard.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from bot.web.archive import find_chats
from bot.web.common import MAX_ID, db_of, no_nul, zone_or_400
from bot.web.page_cache import analysed
from bot.web.visibility import public_clause
from transcripts.models import SHOWN, Event, MessageRow, Participant

router = APIRouter(prefix="/api", tags=["chats"])

EventId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ChatOut(BaseModel):
    id: int
    title: str
    hashtag: str | None
    host: str | None
    topic: str | None
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: str
    messages: int


class QuestionOut(BaseModel):
    number: int | None
    text: str
    posted_at: str | None
    answers: int
    contributors: int


class ParticipantOut(BaseModel):
    handle: str
    name: str | None
    platform: str
    posts: int
    originals: int
    reposts: int
    replies: int
    answers: int
    followers: int | None
    impressions: int | None


class StatsOut(BaseModel):
    messages: int
    contributors: int
    originals: int
    reposts: int
    replies: int
    answers: int
    impressions: int | None
    reach: int | None
    questions: list[QuestionOut]
    participants: list[ParticipantOut]


class MessageOut(BaseModel):
    id: int
    platform: str
    platform_id: str
    handle: str
    text: str
    created_at: datetime
    reply_to: str | None
    is_repost: bool


class ErrorOut(BaseModel):
    detail: str


NOT_FOUND = {404: {"model": ErrorOut, "description": "No such chat"}}


def _chat(request: Request, event_id: int) -> Event:
    """A public chat by id (`bot.web.visibility`); anything private is simply not found here, signed in or not."""
    with db_of(request).session() as session:
        event = session.scalar(select(Event).where(Event.id == event_id, public_clause()))
        if event is None:
            raise HTTPException(404, "no such chat")
        session.expunge(event)
    return event


@router.get("/chats", response_model=list[ChatOut], responses={400: {"model": ErrorOut}})
def list_chats(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, description="Text in the title, hashtag or topic")] = None,
    hashtag: Annotated[str | None, Query(max_length=100, description="Exact hashtag, with or without #")] = None,
    on: Annotated[date | None, Query(alias="date", description="Local date the chat started")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA zone for `date` (default UTC)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ChatOut]:
    no_nul(q, "q")
    no_nul(hashtag, "hashtag")
    zone = zone_or_400(tz)
    return [
        _chat_out(e, n)
        for e, n in find_chats(request, q=q, hashtag=hashtag, on=on, zone=zone, limit=limit, offset=offset)
    ]


def _chat_out(e: Event, messages: int) -> ChatOut:
    return ChatOut(
        id=e.id,
        title=e.title,
        hashtag=e.hashtag,
        host=e.host,
        topic=e.topic,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        timezone=e.timezone,
        status=e.status,
        messages=messages,
    )


@router.get("/chats/{event_id}", response_model=ChatOut, responses=NOT_FOUND)
def get_chat(request: Request, event_id: EventId) -> ChatOut:
    e = _chat(request, event_id)
    with db_of(request).session() as s:  # a count, not a whole report, for one number
        messages = s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.event_id == e.id, SHOWN))
    return _chat_out(e, messages or 0)


@router.get("/chats/{event_id}/stats", response_model=StatsOut, responses=NOT_FOUND)
def get_stats(request: Request, event_id: EventId) -> StatsOut:
    e = _chat(request, event_id)
    s = analysed(db_of(request), e.id).report.stats
    return StatsOut(
        messages=s.messages,
        contributors=s.contributors,
        originals=s.originals,
        reposts=s.reposts,
        replies=s.replies,
        answers=s.answers,
        impressions=s.impressions,
        reach=s.reach,
        questions=[
            QuestionOut(
                number=q.number, text=q.text, posted_at=q.posted_at, answers=q.answers, contributors=q.contributors
            )
            for q in s.questions
        ],
        participants=[
            ParticipantOut(
                handle=p.handle,
                name=p.name,
                platform=p.platform,
                posts=p.posts,
                originals=p.originals,
                reposts=p.reposts,
                replies=p.replies,
                answers=p.answers,
                followers=p.followers,
                impressions=p.impressions,
            )
            for p in s.participants
        ],
    )


@router.get("/chats/{event_id}/messages", response_model=list[MessageOut], responses=NOT_FOUND)
def get_messages(
    request: Request,
    event_id: EventId,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID, description="Only messages with a larger id")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[MessageOut]:
    e = _chat(request, event_id)
    with db_of(request).session() as session:
        rows = session.execute(
            select(MessageRow, Participant.handle)
            .join(Participant, Participant.id == MessageRow.participant_id)
            .where(MessageRow.event_id == e.id, SHOWN, MessageRow.id > after_id)
            .order_by(MessageRow.id)
            .limit(limit)
        ).all()
        return [
            MessageOut(
                id=m.id,
                platform=m.platform,
                platform_id=m.platform_id,
                handle=handle,
                text=m.text,
                created_at=m.created_at,
                reply_to=m.reply_to,
                is_repost=m.is_repost,
            )
            for m, handle in rows
        ]
