"""`huddlebot demo`: the seed #WeHCMs chat replayed through the local platform, end to end.

The real pieces run: a chat definition made from the page, the APScheduler clock with its job store
on the record's database, the bot posting the welcome, the six questions and the close at their
times, the capture poller, and the close writing the chat page and CPD logs. Only time is
compressed (`speed`): the hour runs in about half a minute, and every post keeps its place in it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import delete, select

from bot.chats.timescale import TimeScale
from bot.platforms import registry
from bot.platforms.local import NAME as LOCAL
from bot.platforms.local import LocalPlatform
from bot.scheduling import make_scheduler, schedule_chat
from config.chat_definition import ChatDefinition
from config.settings import Settings
from transcripts.db import Database
from transcripts.importers import parse_path
from transcripts.importers.base import ImportedEvent
from transcripts.message import Author, Message
from transcripts.models import Definition, Event, Prompt
from transcripts.samples import SEED_CHAT

DEMO_SOURCE = "huddlebot demo"
LEAD_IN = timedelta(seconds=2)


@dataclass(frozen=True)
class DemoResult:
    event_id: int
    index: Path
    messages: int
    contributors: int


def _as_local(message: Message) -> Message:
    author = message.author
    return replace(message, platform=LOCAL, author=Author(platform=LOCAL, id=author.id, handle=author.handle))


def _bot_posts(seed: ImportedEvent) -> tuple[Message, list[Message], Message]:
    """The host's welcome, question and closing posts: the bot will post these, not the replay."""
    host = (seed.host or "").lower()
    own = [
        m for m in seed.messages if m.author.handle.lower() == host and not m.text.startswith("@") and not m.is_repost
    ]
    question_ids = {p.message_id for p in seed.prompts if p.message_id}
    questions = [m for m in own if m.id in question_ids]
    return own[0], questions, own[-1]


def _definition(seed: ImportedEvent, welcome: Message, questions: list[Message], close: Message) -> dict[str, Any]:
    """The seed chat as the definition a host would have written for it, validated like any other."""
    zone = ZoneInfo(seed.timezone)
    start = seed.starts_at.astimezone(zone)
    minutes = max(1, round(((seed.ends_at or seed.starts_at) - seed.starts_at).total_seconds() / 60))
    definition = ChatDefinition.model_validate(
        {
            "title": seed.title[:200], "hashtag": seed.hashtag, "host": seed.host or "host", "platforms": [LOCAL],
            "date": start.date().isoformat(), "start": start.strftime("%H:%M"), "timezone": seed.timezone,
            "duration": f"{minutes}m", "welcome": welcome.text[:280], "closing": close.text[:280],
            "questions": [
                {"at": q.created_at.astimezone(zone).strftime("%H:%M"), "text": q.text[:280]} for q in questions
            ],
            "misfire_grace": "10m", "poll_interval": "60s",
        }
    )  # fmt: skip
    return definition.model_dump(mode="json")


def _define(db: Database, seed: ImportedEvent, welcome: Message, questions: list[Message], close: Message) -> int:
    with db.session() as s:
        for old in s.scalars(select(Event.id).where(Event.source == DEMO_SOURCE)).all():
            s.execute(delete(Event).where(Event.id == old))  # a re-run replaces the last demo
        definition = Definition(kind="chat", name=seed.title, body=_definition(seed, welcome, questions, close))
        s.add(definition)
        s.flush()
        event = Event(
            kind="chat", title=seed.title, topic=seed.topic, hashtag=seed.hashtag, platforms=[LOCAL],
            host=seed.host, starts_at=seed.starts_at, ends_at=seed.ends_at, timezone=seed.timezone,
            status="scheduled", source=DEMO_SOURCE, definition_id=definition.id,
        )  # fmt: skip
        s.add(event)
        s.flush()
        numbers = {p.message_id: p.number for p in seed.prompts}
        s.add(Prompt(event_id=event.id, kind="welcome", text=welcome.text, due_at=welcome.created_at))
        for q in questions:
            s.add(Prompt(event_id=event.id, kind="question", number=numbers[q.id], text=q.text, due_at=q.created_at))
        s.add(Prompt(event_id=event.id, kind="close", text=close.text, due_at=close.created_at))
        return event.id


def run_demo(
    db_url: str,
    out_dir: Path,
    *,
    speed: float = 120.0,
    console: Console | None = None,
    settings: Settings | None = None,
) -> DemoResult:
    """Replay the seed; `settings` (the command's) give the chat page's address, else the defaults do."""
    console = console or Console(stderr=True)
    (seed,) = parse_path(SEED_CHAT)
    welcome, questions, close = _bot_posts(seed)
    bot_ids = {welcome.id, close.id, *(q.id for q in questions)}
    replay = [_as_local(m) for m in seed.messages if m.id not in bot_ids]
    db = Database(db_url)
    event_id = _define(db, seed, welcome, questions, close)
    scale = TimeScale(datetime.now(UTC) + LEAD_IN, seed.starts_at, speed)
    platform = LocalPlatform(seed.host or "host", clock=scale.chat_now)
    registry.install(settings or Settings(_env_file=None), [platform], db=db)
    scheduler = make_scheduler(db, blocking=False)
    schedule_chat(scheduler, db, event_id, out_dir, scale=scale, page_dir=out_dir)
    scheduler.start()
    try:
        _replay(replay, platform, scale, console)
        _wait_closed(db, event_id, scale, seed)
    finally:
        scheduler.shutdown(wait=True)
        registry.clear()
    from analysis.answers import assign_answers
    from analysis.stats import compute_stats
    from transcripts.snapshot import load_event

    with db.session() as s:
        snapshot = load_event(s, event_id)
    stats = compute_stats(snapshot, assign_answers(snapshot))
    db.dispose()
    return DemoResult(event_id, out_dir / "index.html", stats.messages, stats.contributors)


def _replay(replay: list[Message], platform: LocalPlatform, scale: TimeScale, console: Console) -> None:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} posts"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("replaying #WeHCMs", total=len(replay))
        for message in replay:
            wait = (scale.to_real(message.created_at) - datetime.now(UTC)).total_seconds()
            if wait > 0:
                time.sleep(wait)
            platform.feed(message)
            progress.update(task, advance=1, description=f"replaying {message.created_at:%H:%M} chat time")


def _wait_closed(db: Database, event_id: int, scale: TimeScale, seed: ImportedEvent, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout + scale.real_duration(seed.ends_at - seed.starts_at).total_seconds()
    while time.monotonic() < deadline:
        with db.session() as s:
            event = s.get(Event, event_id)
            if event is not None and event.status == "closed":
                return
        time.sleep(0.25)
    raise TimeoutError("the demo chat did not close in time")
