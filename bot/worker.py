"""`huddlebot worker`: the one clock. Waits to lead, then runs the scheduler and keeps it in step with the record.

With SLACK_STORE_IN_WORKER the leader also stores the Slack message events that `huddlebot web` (or
Socket Mode) acknowledged into the inbox, so the process answering Slack does nothing after its acks.
"""

from __future__ import annotations

import getpass
import importlib
import logging
import signal
import threading
from functools import partial
from typing import TextIO

from rich.console import Console

from bot.leadership import leader_lock_for, wait_for_leadership
from bot.platforms import registry
from bot.platforms.base import ChatPlatform
from bot.platforms.local import LocalPlatform, read_terminal
from bot.scheduling import make_scheduler
from config.settings import Settings
from transcripts.db import Database

log = logging.getLogger(__name__)

# Each installer makes sure the jobs its flow needs exist: install(scheduler, db: Database, settings: Settings).
JOB_INSTALLERS = ("bot.scheduling:install_chat_jobs", "bot.huddles.jobs:install_huddle_jobs")


def install_context(settings: Settings, db: Database) -> registry.JobContext:
    """What every job of this process runs with: the settings, and one client for each platform this
    deployment has credentials for (plus the always-available local one), shared by all jobs."""
    platforms: list[ChatPlatform] = [LocalPlatform("huddlebot", console=Console())]
    if settings.x_bearer_token or settings.x_consumer_key:
        from bot.platforms.x import XPlatform

        platforms.append(XPlatform(settings))
    if settings.bluesky_handle and settings.bluesky_app_password:
        from bot.platforms.bluesky import BlueskyPlatform

        platforms.append(BlueskyPlatform(settings))
    return registry.install(settings, platforms, db=db)


def _installers() -> list:  # type: ignore[type-arg]
    found = []
    for ref in JOB_INSTALLERS:
        module, _, name = ref.partition(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


class _Recorder:
    """A thread storing the Slack message events the web process acknowledged (SLACK_STORE_IN_WORKER)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        from bot.slack.message_recorder import drain_until_stopped
        from bot.slack.storing import store_from_inbox

        self._stop = threading.Event()
        drain = partial(store_from_inbox, db, settings)
        self._thread = threading.Thread(
            target=drain_until_stopped, args=(drain, self._stop), name="slack-recorder", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ends it after the batch it is storing (rolled back if the process dies first: still in the inbox)."""
        self._stop.set()
        self._thread.join()


def run_worker(settings: Settings, *, stop: threading.Event | None = None, terminal: TextIO | None = None) -> None:
    """Lead, then keep every flow's jobs installed until stopped; `terminal` lines become local-chat posts."""
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        if threading.current_thread() is threading.main_thread():
            signal.signal(sig, lambda *_: stop.set())
    db = Database(settings.database_url)
    lock = leader_lock_for(db.engine)
    if not wait_for_leadership(lock, stop, poll_seconds=settings.standby_poll_seconds):
        return
    context = install_context(settings, db)
    if terminal is not None:
        local = context.platform("local")
        assert isinstance(local, LocalPlatform)
        reader = partial(read_terminal, local, terminal, handle=getpass.getuser())
        threading.Thread(target=reader, name="terminal-posts", daemon=True).start()
    scheduler = make_scheduler(db, blocking=False)
    installers = _installers()
    recorder = _Recorder(settings, db) if settings.slack_store_in_worker else None
    try:
        scheduler.start()
        while not stop.is_set():
            if not lock.still_held():
                log.error("lost the leader lock; stopping so another worker can lead")
                break
            for install in installers:
                install(scheduler, db, settings)
            stop.wait(settings.worker_reconcile_seconds)
    finally:
        if recorder is not None:
            recorder.stop()
        scheduler.shutdown(wait=True)
        lock.release()
        registry.clear()
        db.dispose()
