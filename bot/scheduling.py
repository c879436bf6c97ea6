"""The one clock: APScheduler 3 with its job store on the record's own database.

Each welcome, question, reminder and close is one job with a stable id, so scheduling an event again
(after a restart, or on the periodic check) replaces rather than duplicates; jobs missed while no
worker ran fire on start if they are within the chat's grace time. Posting itself is idempotent (see
`bot.chats.jobs`), so a job that does run twice still posts once. Jobs are named here by reference
(`JOBS`), never imported, so the job module and this one do not depend on each other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select

from bot.chats.timescale import TimeScale
from config.chat_definition import ChatDefinition, parse_offset
from config.settings import Settings
from transcripts.db import Database
from transcripts.models import Definition, Event, Prompt

JOBS = "bot.chats.jobs"
REPLAY_MIN_GRACE_SECONDS = 60


def make_scheduler(db: Database, *, blocking: bool, max_workers: int = 10) -> BaseScheduler:
    jobstores = {"default": SQLAlchemyJobStore(engine=db.engine)}
    executors = {"default": {"type": "threadpool", "max_workers": max_workers}}
    defaults = {"coalesce": True, "max_instances": 1}
    cls = BlockingScheduler if blocking else BackgroundScheduler
    return cls(jobstores=jobstores, executors=executors, job_defaults=defaults, timezone="UTC")


def chat_settings(db: Database, event: Event) -> tuple[timedelta, timedelta]:
    """(misfire grace, poll interval) from the chat's definition, read back through its model; the model's
    defaults for an imported event, which has none."""
    fields = ChatDefinition.model_fields
    grace, interval = fields["misfire_grace"].default, fields["poll_interval"].default
    if event.definition_id:
        with db.session() as s:
            row = s.get(Definition, event.definition_id)
        if row is not None:
            definition = ChatDefinition.model_validate(row.body)
            grace, interval = definition.misfire_grace, definition.poll_interval
    return parse_offset(grace), parse_offset(interval)


def schedule_chat(
    scheduler: BaseScheduler,
    db: Database,
    event_id: int,
    out_dir: Path,
    *,
    scale: TimeScale | None = None,
    page_dir: Path | None = None,
) -> None:
    """Make sure every job a chat still needs exists; the real times come from `scale` (live unless replaying).

    A prompt already posted on all its platforms gets no job; one whose job is missing (it was running
    when a worker died, and APScheduler had already taken it off the store) gets it back.
    """
    scale = scale or TimeScale.live()
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is None or event.status in ("closed", "cancelled"):
            return
        platforms = set(event.platforms or [])
        prompts = [
            p
            for p in s.scalars(select(Prompt).where(Prompt.event_id == event_id).order_by(Prompt.due_at, Prompt.id))
            if {o.platform for o in p.posts if o.status == "posted"} != platforms
        ]
        starts_at, ends_at = event.starts_at, event.ends_at or event.starts_at + timedelta(hours=1)
    grace, interval = chat_settings(db, event)
    real_grace = max(1, int(scale.real_duration(grace).total_seconds()))
    if scale.speed > 1:  # a replay compresses the chat's time, not the machine's delays: a late prompt still goes out
        real_grace = max(real_grace, REPLAY_MIN_GRACE_SECONDS)
    for prompt in prompts:
        job_id = f"chat:{event_id}:prompt:{prompt.id}"
        if prompt.due_at is None or up_to_date(scheduler, job_id, f"{JOBS}:post_prompt", [prompt.id]):
            continue
        scheduler.add_job(
            f"{JOBS}:post_prompt", "date", run_date=scale.to_real(prompt.due_at), args=[prompt.id],
            id=job_id, replace_existing=True, misfire_grace_time=real_grace,
        )  # fmt: skip
    poll_seconds = max(0.2, scale.real_duration(interval).total_seconds())
    capture_end = scale.to_real(ends_at) + timedelta(seconds=2 * poll_seconds)
    page = page_dir or out_dir / f"event-{event_id}"
    up_to_date(scheduler, f"chat:{event_id}:poll", f"{JOBS}:poll", [event_id])
    if up_to_date(scheduler, f"chat:{event_id}:close", f"{JOBS}:close_chat", [event_id, str(page)]):
        return
    scheduler.add_job(
        f"{JOBS}:poll", "interval", seconds=poll_seconds, start_date=scale.to_real(starts_at),
        end_date=capture_end, args=[event_id], id=f"chat:{event_id}:poll", replace_existing=True,
        misfire_grace_time=real_grace,
    )  # fmt: skip
    scheduler.add_job(
        f"{JOBS}:close_chat", "date", run_date=capture_end, args=[event_id, str(page)],
        id=f"chat:{event_id}:close", replace_existing=True, misfire_grace_time=None,
    )  # fmt: skip


def up_to_date(scheduler: BaseScheduler, job_id: str, func: str, args: list[Any]) -> bool:
    """Whether the job exists, bringing one stored by an older version up to date in place (its arguments
    once held the database URL, password included). modify_job keeps its next run; re-adding would reset it."""
    job = scheduler.get_job(job_id)
    if job is None:
        return False
    if job.func_ref != func or list(job.args) != args:
        scheduler.modify_job(job_id, func=func, args=args)
    return True


def schedule_deletion_checks(
    scheduler: BaseScheduler, db: Database, event_id: int, out_dir: Path, *, days: int
) -> None:
    """A closed chat's posts are re-checked for deletion daily until `days` after it ended (its page rewritten)."""
    with db.session() as s:
        event = s.get(Event, event_id)
        if event is None or event.status != "closed":
            return
        until = (event.ends_at or event.starts_at) + timedelta(days=days)
    job_id = f"chat:{event_id}:deletions"
    args = [event_id, str(out_dir)]
    if until <= datetime.now(UTC) or up_to_date(scheduler, job_id, f"{JOBS}:recheck_deleted", args):
        return
    scheduler.add_job(
        f"{JOBS}:recheck_deleted", "interval", days=1, end_date=until, args=args,
        id=job_id, replace_existing=True, misfire_grace_time=None,
    )  # fmt: skip


def install_chat_jobs(scheduler: BaseScheduler, db: Database, settings: Settings) -> None:
    """Schedule every chat that is due or running, and the deletion checks of those recently closed.

    Called on start and periodically by the worker; a job that already exists is left as it is.
    """
    recent = datetime.now(UTC) - timedelta(days=settings.deleted_check_days)
    with db.session() as s:
        live = s.scalars(select(Event.id).where(Event.kind == "chat", Event.status.in_(("scheduled", "running"))))
        ids = list(live)
        closed = list(
            s.scalars(select(Event.id).where(Event.kind == "chat", Event.status == "closed", Event.ends_at >= recent))
        )
    for event_id in ids:
        schedule_chat(scheduler, db, event_id, Path(settings.output_dir))
    for event_id in closed:
        page = Path(settings.output_dir) / f"event-{event_id}"
        schedule_deletion_checks(scheduler, db, event_id, page, days=settings.deleted_check_days)
