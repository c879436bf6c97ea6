"""The huddles' scheduled work, as persisted APScheduler jobs with plain arguments.

One cron job per active definition opens the day's session; one interval job sends due reminders and
closes, and re-escalates overdue escalations. Reminders and closes are rows with `due_at`, not jobs,
so a worker that restarts mid-huddle still sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot.escalation.sbar import reescalate_overdue
from bot.huddles import flow
from bot.huddles.definitions import active_definitions
from bot.slack.tokens import NoSlackToken, web_client
from config.huddle_definition import HuddleDefinition
from config.settings import Settings, get_settings
from transcripts.db import Database
from transcripts.models import Definition, utcnow

log = logging.getLogger(__name__)
JOBS = "bot.huddles.jobs"
TICK_JOB_ID = "huddles:tick"


@lru_cache(maxsize=8)
def database(url: str) -> Database:
    return Database(url, migrate=False)


def _clients(db: Database) -> Callable[[str | None], WebClient]:
    """Each workspace's client, its token found in the same database the job reads."""
    return lambda workspace: web_client(get_settings(), workspace, db)


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
    url = db.engine.url.render_as_string(hide_password=False)
    with db.session() as s:
        definitions = active_definitions(s)
    for definition_id, definition in definitions:
        scheduler.add_job(
            f"{JOBS}:open_scheduled_huddle",
            trigger_for(definition),
            args=[url, definition_id],
            id=f"huddle:{definition_id}",
            replace_existing=True,
            misfire_grace_time=int(definition.window_delta.total_seconds()),
        )
    scheduler.add_job(
        f"{JOBS}:tick",
        "interval",
        seconds=settings.poll_interval_seconds,
        args=[url],
        id=TICK_JOB_ID,
        replace_existing=True,
    )


def open_scheduled_huddle(db_url: str, definition_id: int) -> int | None:
    db = database(db_url)
    with db.session() as s:
        row = s.get(Definition, definition_id)
        if row is None or row.status != "active":
            return None
        definition = HuddleDefinition.model_validate(row.body)
        now = utcnow()
        if flow.opened_today(s, definition_id, definition, now):
            return None
    if flow.is_skipped(definition, now):
        log.info("huddle %s skipped on %s", definition.name, now.date())
        return None
    try:
        client = _clients(db)(definition.workspace)
    except NoSlackToken as exc:  # uninstalled (or not yet installed): skipped today, back once installed
        log.warning("huddle %s not opened: %s", definition.name, exc)
        return None
    return flow.open_huddle(db, client, definition, definition_id=definition_id, now=now, source="schedule")


def tick(db_url: str) -> None:
    db = database(db_url)
    flow.advance(db, _clients(db))
    reescalate_overdue(db, _clients(db))
