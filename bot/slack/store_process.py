"""The store process: a child of the process that acks Slack, storing the events it acked (the default).

Storing in the acking process, even in one thread of its own, took the interpreter (the GIL) from the
thread that acks: p99 ack latency was twice bare Bolt's. So, unless SLACK_STORE_IN_WORKER hands the
storing to `huddlebot worker`, the web process (or `huddlebot huddle socket`) starts one child of its own
that drains the inbox (`drain_until_stopped` over `store_from_inbox`, as the worker does) and does
nothing else; the acking process only writes the inbox and, after each ack, writes a byte to the
child's stdin - non-blocking, so an ack never waits for it.

The child's stdin is its whole link to its parent: first the parent's settings and database address
(pickled, over the pipe, so no secret is on a command line or in a log), then one byte per wake. The
child drains LINGER after a wake (under load, once a POLL), and every POLL without one (what another
process acked and did not store). When its parent ends in any way, SIGKILL included, the kernel
closes the parent's end and the child reads end-of-file: it finishes the batch it is storing and
exits (so it does on SIGTERM; Ctrl-C is its parent's to act on). Killed itself, its transaction rolls
back and the events stay in the inbox. Draining is safe with several drainers
(`transcripts.slack_stores.taking`), so a child left finishing its batch beside a new process's
child never stores an event twice.

The child is started lazily, off the acking thread: on the first wake, or as the app is built if the
inbox already holds events (what a killed process acked and did not store). An app that never sees a
message event - most of those the tests build - never starts one. When the app's server shuts down
(`bot.slack.app.stop_storing`), or the app is dropped, the parent closes its end of the pipe and the
child ends as if its parent had. If the child dies, a thread waiting on it starts another at once (so
an event whose wake went into the dying child's pipe is still stored), as would the next wake.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import weakref
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.pool import StaticPool

from bot.slack.message_recorder import LINGER, drain_until_stopped
from bot.slack.storing import store_from_inbox
from config.settings import Settings
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.slack_stores import SLACK_INBOX

log = logging.getLogger(__name__)

WAKE = b"\0"
# The folder holding the `bot` package this module came from: the child imports the same code as its
# parent, wherever it runs from (an editable install of another checkout must not win).
CODE_ROOT = str(Path(__file__).resolve().parents[2])
# At an orderly exit (or when the app is dropped) the parent waits this long for the child to finish
# its batch; a child still busy after it is left to finish alone.
EXIT_WAIT = 10.0


@dataclass(frozen=True)
class Job:
    """What the child is told on its stdin: its parent's settings, database, and how long to hold off."""

    settings: Settings
    database_url: str
    start_delay: float


class StoreProcess:
    """The acking process's side: `wake` after each ack starts the child if none is running, and
    otherwise tells it, never waiting for either."""

    def __init__(self, settings: Settings, db: Database, *, start_delay: float = 0.0) -> None:
        if isinstance(db.engine.pool, StaticPool):
            raise RecordError("DATABASE_URL", "an in-memory database cannot be shared with the Slack store process")
        self._settings = settings
        self._database_url = db.url
        self._not_before = time.monotonic() + start_delay
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._let_go: weakref.finalize | None = None
        self._starting = False
        self._closed = False

    def wake(self) -> None:
        """There is (or may be) something in the inbox: the child drains it soon."""
        child = self._child
        # Gone if it has exited (a waitpid that does not wait), not only if its pipe says so.
        if child is not None and child.poll() is None:
            assert child.stdin is not None
            try:
                os.write(child.stdin.fileno(), WAKE)
                return
            except BlockingIOError:  # the pipe is full of wakes the child has yet to read: it is woken
                return
            except (BrokenPipeError, ValueError):  # the child has gone (ValueError: its pipe closed here)
                pass
        with self._lock:
            if self._closed or self._starting or self._child is not child:  # or another thread is starting one
                return
            self._starting = True
        threading.Thread(target=self._start, args=(child,), name="slack-store-starter", daemon=True).start()

    def start_if_waiting(self, db: Database) -> None:
        """Starts the child now if the inbox holds events (acked by an earlier process and not stored)."""
        try:
            with db.session() as s:
                waiting = s.execute(select(SLACK_INBOX.c.id).limit(1)).first() is not None
        except Exception:
            log.exception("could not look in the Slack inbox; its events are stored after the next one arrives")
            return
        if waiting:
            self.wake()

    def close(self) -> None:
        """The app is done with: its child finishes its batch and ends (waited for up to EXIT_WAIT), and no
        other is started. Without this, the child ends when this object is collected or the process ends."""
        with self._lock:
            self._closed = True
            let_go = self._let_go
        if let_go is not None:
            let_go()

    def _start(self, gone: subprocess.Popen[bytes] | None) -> None:
        try:
            if gone is not None:
                log.warning("the Slack store process ended (exit status %s); starting another", gone.wait())
                assert self._let_go is not None
                self._let_go.detach()
            job = Job(self._settings, self._database_url, max(0.0, self._not_before - time.monotonic()))
            path = os.pathsep.join(filter(None, [CODE_ROOT, os.environ.get("PYTHONPATH")]))
            child = subprocess.Popen(
                [sys.executable, "-P", "-c", "from bot.slack.store_process import main; main()"],
                stdin=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": path},
            )
            assert child.stdin is not None
            child.stdin.write(pickle.dumps(job))
            child.stdin.flush()
            os.set_blocking(child.stdin.fileno(), False)
            with self._lock:
                if not self._closed:
                    self._let_go = weakref.finalize(self, _let_go, child)
                    self._child = child
                    watch = threading.Thread(
                        target=_watch, args=(weakref.ref(self), child.pid), name="slack-store-watch", daemon=True
                    )
                    watch.start()
                    return
            _let_go(child)  # closed while it started
        except Exception:
            log.exception("could not start the Slack store process; trying again at the next event")
        finally:
            self._starting = False


def _watch(owner: weakref.ref[StoreProcess], pid: int) -> None:
    """Waits for the child to end (without reaping it, so `Popen.poll` still can) and then wakes its owner,
    which starts another unless it is closing. A child killed while an event arrived is only part-way dead
    for a moment: its main thread is a zombie but its pipe is still open, so that event's wake is written
    and lost, and without this the event would wait in the inbox for the next one to arrive."""
    with suppress(ChildProcessError):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    store = owner()
    if store is not None:
        store.wake()


def _let_go(child: subprocess.Popen[bytes]) -> None:
    """Its parent (or its app) is ending: the child reads end-of-file and exits after its batch."""
    assert child.stdin is not None
    child.stdin.close()
    try:
        child.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        log.warning("the Slack store process is still finishing its batch; leaving it to")


def _listen(stdin: BinaryIO, woken: threading.Event, stop: threading.Event) -> None:
    """Sets `woken` when the parent wakes it, and `stop` (and `woken`) when the parent has gone. It reads
    at most once a LINGER: the drain comes no sooner, and the wakes sent meanwhile (one per ack) are then
    read as one, rather than each waking this process."""
    while stdin.read1(1 << 16):
        woken.set()
        time.sleep(LINGER)
    stop.set()
    woken.set()


def main() -> None:
    """The child: drains the inbox on wake or every POLL, until its parent has gone."""
    woken, stop = threading.Event(), threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; this follows it out after its batch
    signal.signal(signal.SIGTERM, lambda *_: (stop.set(), woken.set()))  # its batch finished, not rolled back
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stdin = sys.stdin.buffer
    job: Job = pickle.load(stdin)
    threading.Thread(target=_listen, args=(stdin, woken, stop), name="parent", daemon=True).start()
    db = Database(job.database_url, migrate=False)
    try:
        stop.wait(job.start_delay)
        drain_until_stopped(partial(store_from_inbox, db, job.settings), stop, woken=woken)
    finally:
        db.dispose()
