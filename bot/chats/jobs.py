"""The scheduled work of a chat: post a prompt, poll for posts, re-check deletions, close with the chat page.

Jobs are persisted by APScheduler as a function name and plain arguments, so each one takes what it
needs (settings, platforms, the database, the retry policy) from the process's `JobContext`
(`bot.platforms.registry`), set up once by the worker or the demo. Every platform operation goes
through the context's one retry policy; platforms themselves make each request once.

Posting is made safe to repeat: the intent is committed before the platform is called and the
platform's id after, so a worker restarted at any point never posts a prompt twice, and a prompt
whose post may or may not have gone out is looked for among the account's own recent posts before
it is posted again (the hashtag search cannot see a post made seconds ago).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.platforms import registry
from bot.platforms.base import ChatPlatform, comparable_text
from bot.platforms.registry import JobContext
from bot.retry import Duplicate
from transcripts.db import Database
from transcripts.message import Message
from transcripts.models import ChatCapture, Event, MessageRow, OutboundPost, Prompt
from transcripts.store import store_messages

log = logging.getLogger(__name__)
CAPTURE_LEAD_IN = timedelta(minutes=5)  # capture from a few minutes before the start: people arrive early
DELETION_CHECK_EVERY = timedelta(minutes=5)  # during a chat; after it, the daily job


def page_url(context: JobContext, event_id: int) -> str:
    return f"{context.settings.web_base_url.rstrip('/')}/events/{event_id}"


def capture_start(event: Event) -> datetime:
    """The earliest post a chat's record takes: a few minutes before its start, never days before."""
    return event.starts_at - CAPTURE_LEAD_IN


def _capture_row(s: Session, event_id: int, platform_name: str) -> None:
    """Make sure the chat has its capture row on this platform (jobs in several threads may race to add it)."""
    exists = select(ChatCapture.id).where(ChatCapture.event_id == event_id, ChatCapture.platform == platform_name)
    if s.scalar(exists) is not None:
        return
    try:
        with s.begin_nested():
            s.add(ChatCapture(event_id=event_id, platform=platform_name))
    except IntegrityError:
        pass  # another job added it first


def _count(s: Session, event_id: int, platform_name: str, **amounts: int) -> None:
    """Add to a chat's counters in SQL (col = col + n), so jobs counting at once lose nothing."""
    _capture_row(s, event_id, platform_name)
    values = {name: getattr(ChatCapture, name) + n for name, n in amounts.items() if n}
    if values:
        s.execute(
            update(ChatCapture)
            .where(ChatCapture.event_id == event_id, ChatCapture.platform == platform_name)
            .values(**values)
        )


def post_prompt(prompt_id: int) -> None:
    context = registry.context()
    db = context.db
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
        _post_on(context, db, prompt_id, platform_name)


def _post_on(context: JobContext, db: Database, prompt_id: int, platform_name: str) -> None:
    platform = context.platform(platform_name)
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
        event_id = event.id
        text = prompt.text.replace("{page_url}", page_url(context, event.id))
        channel = event.hashtag or ""
        reply_to = None
        if prompt.kind != "welcome":
            reply_to = s.scalar(
                select(OutboundPost.platform_id)
                .join(Prompt, Prompt.id == OutboundPost.prompt_id)
                .where(Prompt.event_id == event.id, Prompt.kind == "welcome", OutboundPost.platform == platform_name)
            )
        now = datetime.now(UTC)
        look_since = min(prompt.due_at or now, now) - CAPTURE_LEAD_IN  # no earlier try can have gone out before
        # An intent already recorded means a worker stopped mid-post: look before posting again.
        unsure = post is not None
        if post is None:
            post = OutboundPost(prompt_id=prompt_id, platform=platform_name, status="pending", channel=channel)
            s.add(post)
        post.attempted_at = now
    looked = [0, 0]  # posts and users read while looking

    def look() -> Message | None:
        own = platform.own_posts(channel, since=look_since)
        looked[0] += own.posts_read
        looked[1] += own.users_read
        return _same_post(own.messages, text)

    def attempt() -> tuple[str, datetime]:
        nonlocal unsure
        if unsure and (found := look()) is not None:
            return found.id, found.created_at
        unsure = True  # from here on a failure may come after the platform made the post
        try:
            posted = platform.post(text, channel=channel, reply_to=reply_to)
        except Duplicate:
            if (found := look()) is not None:  # it went out on an earlier try: that post is the one
                return found.id, found.created_at
            raise
        return posted.id, posted.created_at

    try:
        posted_id, posted_at = context.retry(attempt, what=f"post prompt {prompt_id} on {platform_name}")
    except Exception as exc:
        with db.session() as s:
            row = s.scalars(
                select(OutboundPost).where(OutboundPost.prompt_id == prompt_id, OutboundPost.platform == platform_name)
            ).one()
            row.status, row.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            _count(s, event_id, platform_name, posts_read=looked[0], users_read=looked[1])
        log.error("could not post prompt %s on %s: %s", prompt_id, platform_name, type(exc).__name__)
        raise
    with db.session() as s:
        row = s.scalars(
            select(OutboundPost).where(OutboundPost.prompt_id == prompt_id, OutboundPost.platform == platform_name)
        ).one()
        row.status, row.platform_id, row.posted_at, row.error = "posted", posted_id, posted_at, None
        prompt = s.get(Prompt, prompt_id)
        if prompt is not None and prompt.posted_at is None:
            prompt.posted_at = posted_at
        with_url = comparable_text(text) != text.strip()
        _count(
            s, event_id, platform_name, posts_read=looked[0], users_read=looked[1],
            posts_created=0 if with_url else 1, posts_created_with_url=1 if with_url else 0,
        )  # fmt: skip


def _same_post(own: Sequence[Message], text: str) -> Message | None:
    """Our post of exactly `text` (links compared as links: X stores them rewritten to t.co)."""
    wanted = comparable_text(text)
    return next((m for m in own if comparable_text(m.text) == wanted), None)


def poll(event_id: int) -> int:
    """Capture new posts on every platform of the chat; returns how many were new."""
    context = registry.context()
    db = context.db
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is None or event.status == "cancelled":
            return 0
        platforms, channel, since = list(event.platforms or []), event.hashtag or "", capture_start(event)
    new = 0
    for platform_name in platforms:
        new += _capture(context, db, event_id, context.platform(platform_name), channel, since)
    _recheck_if_due(context, db, event_id, platforms)
    return new


def _capture(
    context: JobContext, db: Database, event_id: int, platform: ChatPlatform, channel: str, since: datetime
) -> int:
    with db.session() as s:
        _capture_row(s, event_id, platform.name)
        cursor = s.scalar(
            select(ChatCapture.cursor).where(ChatCapture.event_id == event_id, ChatCapture.platform == platform.name)
        )
    fetched = context.retry(
        lambda: platform.fetch(channel, cursor=cursor, since=since), what=f"capture {channel} on {platform.name}"
    )
    with db.session() as s:  # the posts and the cursor that led past them are saved together
        new = store_messages(s, event_id, fetched.messages) if fetched.messages else 0
        s.execute(
            update(ChatCapture)
            .where(ChatCapture.event_id == event_id, ChatCapture.platform == platform.name)
            .values(cursor=fetched.cursor)
        )
        _count(s, event_id, platform.name, posts_read=fetched.posts_read, users_read=fetched.users_read)
    return new


def _recheck_if_due(context: JobContext, db: Database, event_id: int, platforms: Sequence[str]) -> None:
    """Every few minutes of a chat: hide deleted posts, and count reposts where search cannot see them."""
    with db.session() as s:
        last = s.scalar(select(ChatCapture.deletions_checked_at).where(ChatCapture.event_id == event_id).limit(1))
    if last is None or datetime.now(UTC) - last >= DELETION_CHECK_EVERY:
        _recheck(context, db, event_id, platforms)
        _count_reposts(context, db, event_id, platforms)


def _count_reposts(context: JobContext, db: Database, event_id: int, platforms: Sequence[str]) -> None:
    """Reposts of the chat's prompts on platforms whose search leaves reposts out (Bluesky)."""
    for platform_name in platforms:
        platform = context.platform(platform_name)
        reposts_of = getattr(platform, "reposts_of", None)
        if reposts_of is None:  # X's search returns retweets; the local log has none
            continue
        with db.session() as s:
            channel = s.scalar(select(Event.hashtag).where(Event.id == event_id)) or ""
            posted = s.execute(
                select(OutboundPost.platform_id, Prompt.text)
                .join(Prompt, Prompt.id == OutboundPost.prompt_id)
                .where(
                    Prompt.event_id == event_id,
                    OutboundPost.platform == platform_name,
                    OutboundPost.status == "posted",
                )
            ).all()
        found: list[Message] = []
        users = 0
        for uri, text in posted:
            if uri:
                reposts = context.retry(
                    lambda f=reposts_of, u=uri, c=channel, t=text: f(u, c, t), what=f"count reposts on {platform_name}"
                )
                found += reposts.messages
                users += reposts.users_read
        with db.session() as s:
            if found:
                store_messages(s, event_id, found)
            counted = s.scalar(
                select(func.count())
                .select_from(MessageRow)
                .where(
                    MessageRow.event_id == event_id,
                    MessageRow.platform == platform_name,
                    MessageRow.is_repost.is_(True),
                    MessageRow.deleted_at.is_(None),
                )
            )
            _count(s, event_id, platform_name, users_read=users)
            s.execute(
                update(ChatCapture)
                .where(ChatCapture.event_id == event_id, ChatCapture.platform == platform_name)
                .values(reposts=counted)
            )


def _recheck(context: JobContext, db: Database, event_id: int, platforms: Sequence[str]) -> int:
    """Mark the chat's stored posts their authors have deleted; returns how many were newly marked."""
    marked = 0
    for platform_name in platforms:
        platform = context.platform(platform_name)
        with db.session() as s:
            _capture_row(s, event_id, platform_name)
            ids = list(
                s.scalars(
                    select(MessageRow.platform_id).where(
                        MessageRow.event_id == event_id,
                        MessageRow.platform == platform_name,
                        MessageRow.deleted_at.is_(None),
                    )
                )
            )
        checked = context.retry(
            lambda p=platform, i=ids: p.check_deleted(i), what=f"re-check deletions on {platform_name}"
        )
        now = datetime.now(UTC)
        with db.session() as s:
            if checked.gone:
                result = s.execute(
                    update(MessageRow)
                    .where(
                        MessageRow.platform == platform_name,
                        MessageRow.platform_id.in_(sorted(checked.gone)),
                        MessageRow.deleted_at.is_(None),
                    )
                    .values(deleted_at=now)
                )
                marked += max(result.rowcount, 0)
            s.execute(
                update(ChatCapture)
                .where(ChatCapture.event_id == event_id, ChatCapture.platform == platform_name)
                .values(deletions_checked_at=now)
            )
            _count(s, event_id, platform_name, posts_read=checked.posts_read)
    if marked:
        log.info("chat %s: %d post(s) deleted by their authors, hidden from the record", event_id, marked)
    return marked


def recheck_deleted(event_id: int, out_dir: str | None = None) -> int:
    """The daily job after a chat: hide posts deleted since (X's terms require it; Bluesky's authors expect it).

    When it hides any, the chat's page and CPD logs in `out_dir` are written again without them.
    """
    context = registry.context()
    db = context.db
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is None:
            return 0
        platforms = list(event.platforms or [])
    marked = _recheck(context, db, event_id, platforms)
    if marked and out_dir:
        _publish(db, event_id, Path(out_dir))
    return marked


def _publish(db: Database, event_id: int, folder: Path) -> None:
    from analysis.cpd import write_cpd_logs
    from analysis.report import write_report

    write_cpd_logs(db, event_id, folder / "cpd", formats=("md", "docx"))
    write_report(db, event_id, folder, settings=registry.context().settings)


def close_chat(event_id: int, out_dir: str) -> None:
    """The last capture, deletion check and repost count, then the chat page and every contributor's CPD log."""
    context = registry.context()
    poll(event_id)
    db = context.db
    with db.session() as s:
        event = s.get(Event, event_id)
        platforms = list(event.platforms or []) if event is not None else []
    _recheck(context, db, event_id, platforms)
    _count_reposts(context, db, event_id, platforms)
    _publish(db, event_id, Path(out_dir))
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is not None:
            event.status = "closed"
            event.page_url = page_url(context, event_id)
