"""The huddles' scheduled work, as persisted APScheduler jobs whose arguments are plain ids.

One cron job per active definition opens the day's session; one interval job (the tick) sends due
reminders and closes, and re-escalates overdue escalations. Reminders and closes are rows with
`due_at`, not jobs, so a worker that restarts mid-huddle still sends them.

The worker reconciles these jobs with the record every few seconds. Reconciling adds what is missing
and changes what was edited, but never re-adds a job that exists: re-adding resets its next run,
which once kept a 30-second tick from ever firing and moved a missed huddle to next week. A job's
first run is counted from when its definition was added, so a huddle added moments before its time
(or while no worker was up, within its window) still opens today.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.escalation.sbar import reescalate_overdue
from bot.huddles import flow, sessions
from bot.huddles.definitions import active_definition_rows
from bot.platforms import registry
from bot.platforms.slack import SlackPlatform
from bot.scheduling import up_to_date
from bot.slack.tokens import NoSlackToken, slack_for
from config.huddle_definition import HuddleDefinition
from config.settings import Settings
from transcripts.db import Database
from transcripts.models import Definition, utcnow

log = logging.getLogger(__name__)
JOBS = "bot.huddles.jobs"
OPEN_JOB = f"{JOBS}:open_scheduled_huddle"
TICK_JOB = f"{JOBS}:tick"
TICK_JOB_ID = "huddles:tick"


def trigger_for(definition: HuddleDefinition) -> CronTrigger:
    local = definition.local_time
    return CronTrigger(
        day_of_week=",".join(definition.days),
        hour=local.hour,
        minute=local.minute,
        second=local.second,
        timezone=definition.timezone,
    )


def install_huddle_jobs(scheduler: BaseScheduler, db: Database, settings: Settings) -> None:
    """Make the scheduler's huddle jobs match the record, without moving any job's next run."""
    registry.ensure(settings, db)
    now = utcnow()
    with db.session() as s:
        rows = active_definition_rows(s)
    wanted = set()
    for row_id, created_at, definition in rows:
        job_id = f"huddle:{row_id}"
        wanted.add(job_id)
        trigger = trigger_for(definition)
        grace = int(definition.window_delta.total_seconds())
        job = scheduler.get_job(job_id)
        if job is None:
            # Counted from when the definition was added (at most one window back), so a time that passed
            # between `huddle add` and this reconcile is a missed run the scheduler fires within its grace.
            since = max(created_at, now - timedelta(seconds=grace))
            scheduler.add_job(
                OPEN_JOB, trigger, args=[row_id], id=job_id, misfire_grace_time=grace,
                next_run_time=trigger.get_next_fire_time(None, since),
            )  # fmt: skip
        elif str(job.trigger) != str(trigger) or job.misfire_grace_time != grace:
            scheduler.reschedule_job(job_id, trigger=trigger)
            scheduler.modify_job(job_id, misfire_grace_time=grace)
        else:
            up_to_date(scheduler, job_id, OPEN_JOB, [row_id])
    for job in scheduler.get_jobs():
        if job.id.startswith("huddle:") and job.id not in wanted:
            scheduler.remove_job(job.id)
    tick = scheduler.get_job(TICK_JOB_ID)
    interval = timedelta(seconds=settings.huddle_tick_seconds)
    if tick is None:
        scheduler.add_job(TICK_JOB, IntervalTrigger(seconds=settings.huddle_tick_seconds), id=TICK_JOB_ID)
    elif not isinstance(tick.trigger, IntervalTrigger) or tick.trigger.interval != interval:
        scheduler.reschedule_job(TICK_JOB_ID, trigger=IntervalTrigger(seconds=settings.huddle_tick_seconds))
    else:
        up_to_date(scheduler, TICK_JOB_ID, TICK_JOB, [])


def _slack(context: registry.JobContext, workspace: str | None) -> SlackPlatform:
    return slack_for(context.settings, workspace, context.db)


def open_scheduled_huddle(definition_id: int, now: datetime | None = None) -> int | None:
    context = registry.context()
    db = context.db
    now = now or utcnow()
    with db.session() as s:
        row = s.get(Definition, definition_id)
        if row is None or row.status != "active":
            return None
        definition = HuddleDefinition.model_validate(row.body)
        if sessions.opened_today(s, definition_id, definition, now):
            return None
    if sessions.is_skipped(definition, now):
        log.info("huddle %s skipped on %s", definition.name, now.date())
        return None
    try:
        slack = _slack(context, definition.workspace)
    except NoSlackToken as exc:  # uninstalled (or not yet installed): skipped today, back once installed
        log.warning("huddle %s not opened: %s", definition.name, exc)
        return None
    return flow.open_huddle(db, slack, definition, definition_id=definition_id, now=now, source="schedule")


def tick() -> None:
    context = registry.context()
    flow.advance(context.db, lambda workspace: _slack(context, workspace), context.settings.web_base_url)
    reescalate_overdue(context.db, lambda workspace: _slack(context, workspace))
