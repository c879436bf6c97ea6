"""The scheduled work of a chat: post a prompt, poll for posts, close with the chat page.

Jobs are persisted by APScheduler as a function name and plain arguments, so each one opens the
record itself and asks the registry for its platform. Posting is made safe to repeat: the intent is
committed before the platform is called and the platform's id after, so a worker restarted at any
point never posts a prompt twice, and a prompt whose post may or may not have gone out is checked on
the platform before it is posted again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select

from bot.platforms import registry
from bot.platforms.base import Platform
from bot.retry import call_with_retries
from config.settings import Settings, get_settings
from transcripts.db import Database
from transcripts.message import Message
from transcripts.models import Event, MessageRow, OutboundPost, Prompt
from transcripts.store import store_messages

log = logging.getLogger(__name__)
CAPTURE_OVERLAP = timedelta(minutes=2)  # re-read this much before the newest stored post: search indexes lag


@lru_cache(maxsize=8)
def database(url: str) -> Database:
    """One Database per URL per process: jobs run often and must not re-migrate each time."""
    return Database(url, migrate=False)


def page_url(event_id: int) -> str:
    return f"{get_settings().web_base_url.rstrip('/')}/events/{event_id}"


def post_prompt(db_url: str, prompt_id: int) -> None:
    db = database(db_url)
    with db.session() as s:
        prompt = s.get(Prompt, prompt_id)
        if prompt is None:
            return
        event = s.get(Event, prompt.event_id)
        if event is None or event.status == "cancelled":
            return
        platforms = list(event.platforms or [])
        if event.status == "scheduled":
            event.status = "running"
    for platform_name in platforms:
        _post_on(db, prompt_id, platform_name)


def _post_on(db: Database, prompt_id: int, platform_name: str) -> None:
    platform = registry.get(platform_name)
    with db.session() as s:
        prompt = s.get(Prompt, prompt_id)
        assert prompt is not None
        event = s.get(Event, prompt.event_id)
        assert event is not None
        post = s.scalars(
            select(OutboundPost).where(OutboundPost.prompt_id == prompt_id, OutboundPost.platform == platform_name)
        ).first()
        if post is not None and post.status == "posted":
            return
        text = prompt.text.replace("{page_url}", page_url(event.id))
        channel = event.hashtag or ""
        reply_to = None
        if prompt.kind != "welcome":
            reply_to = s.scalar(
                select(OutboundPost.platform_id)
                .join(Prompt, Prompt.id == OutboundPost.prompt_id)
                .where(Prompt.event_id == event.id, Prompt.kind == "welcome", OutboundPost.platform == platform_name)
            )
        host = event.host or ""
        # An intent already recorded means a worker stopped mid-post: look before posting again.
        unsure = post is not None
        if post is None:
            post = OutboundPost(prompt_id=prompt_id, platform=platform_name, status="pending", channel=channel)
            s.add(post)
        post.attempted_at = datetime.now(UTC)

    def attempt() -> tuple[str, datetime]:
        nonlocal unsure
        if unsure:
            found = _own_post(platform, channel, text, host)
            if found is not None:
                return found.id, found.created_at
        unsure = True  # from here on a failure may come after the platform made the post
        posted = platform.post(text, channel=channel, reply_to=reply_to)
        return posted.id, posted.created_at

    try:
        posted_id, posted_at = call_with_retries(attempt, what=f"post prompt {prompt_id} on {platform_name}")
    except Exception as exc:
        with db.session() as s:
            row = s.scalars(
                select(OutboundPost).where(OutboundPost.prompt_id == prompt_id, OutboundPost.platform == platform_name)
            ).one()
            row.status, row.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        log.error("could not post prompt %s on %s: %s", prompt_id, platform_name, type(exc).__name__)
        raise
    _mark_posted(db, prompt_id, platform_name, posted_id, posted_at)


def _own_post(platform: Platform, channel: str, text: str, host: str) -> Message | None:
    """The host's post of exactly `text` in the chat, if the platform has it: a post that did go out."""
    return next(
        (m for m in platform.fetch(channel) if m.text == text and m.author.handle.lower() == host.lower()), None
    )


def _mark_posted(db: Database, prompt_id: int, platform_name: str, platform_id: str, when: datetime) -> None:
    with db.session() as s:
        row = s.scalars(
            select(OutboundPost).where(OutboundPost.prompt_id == prompt_id, OutboundPost.platform == platform_name)
        ).one()
        row.status, row.platform_id, row.posted_at, row.error = "posted", platform_id, when, None
        prompt = s.get(Prompt, prompt_id)
        if prompt is not None and prompt.posted_at is None:
            prompt.posted_at = when


def capture_since(db: Database, event_id: int, platform_name: str) -> str | None:
    """The id to search after: a stored post a little older than the newest, so lagging posts are not missed."""
    with db.session() as s:
        newest = s.scalar(
            select(MessageRow.created_at)
            .where(MessageRow.event_id == event_id, MessageRow.platform == platform_name)
            .order_by(MessageRow.created_at.desc())
            .limit(1)
        )
        if newest is None:
            return None
        return s.scalar(
            select(MessageRow.platform_id)
            .where(
                MessageRow.event_id == event_id,
                MessageRow.platform == platform_name,
                MessageRow.created_at <= newest - CAPTURE_OVERLAP,
            )
            .order_by(MessageRow.created_at.desc(), MessageRow.id.desc())
            .limit(1)
        )


def poll(db_url: str, event_id: int) -> int:
    """Capture new posts on every platform of the chat; returns how many were new."""
    db = database(db_url)
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is None or event.status == "cancelled":
            return 0
        platforms, channel = list(event.platforms or []), event.hashtag or ""
    new = 0
    for platform_name in platforms:
        messages = registry.get(platform_name).fetch(channel, since_id=capture_since(db, event_id, platform_name))
        if messages:
            with db.session() as s:
                new += store_messages(s, event_id, messages)
    return new


def close_chat(db_url: str, event_id: int, out_dir: str) -> None:
    """The last capture, then the chat page and every contributor's CPD log."""
    from analysis.cpd import write_cpd_logs
    from analysis.report import write_report

    poll(db_url, event_id)
    db = database(db_url)
    folder = Path(out_dir)
    write_cpd_logs(db, event_id, folder / "cpd", formats=("md", "docx"))
    write_report(db, event_id, folder)
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is not None:
            event.status = "closed"
            event.page_url = page_url(event_id)


def install_chat_jobs(scheduler: BaseScheduler, db: Database, settings: Settings) -> None:
    """Schedule every chat that is due or running; called on start and periodically by the worker."""
    from bot.scheduling import schedule_chat

    with db.session() as s:
        ids = s.scalars(select(Event.id).where(Event.kind == "chat", Event.status.in_(("scheduled", "running")))).all()
    for event_id in ids:
        schedule_chat(scheduler, db, event_id, Path(settings.output_dir))
