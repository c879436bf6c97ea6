"""Slack message events, stored after the ack by one thread, from the inbox, in the order they arrived.

The app writes each message event to the inbox (`transcripts.slack_stores`) before it acks it, then
wakes the recorder. The recorder thread sleeps LINGER, then drains the inbox a batch (at most MOST)
at a time until one is less than full, so under load many replies share one transaction instead of each
paying for its own - and one thread, not a pool, leaves the thread that acks Slack's requests fewer
to fight for the interpreter. In-order processing keeps an edit or delete after the reply it changes.

Nothing is held only in memory: events acked before a kill are still in the inbox, and a new process
drains them as it starts (`wake` once at start-up). So the thread is a daemon, and it ends once idle
for IDLE and starts again on the next wake. If the database fails, the events stay in the inbox and
the recorder tries again after RETRY. `start_delay` holds every drain until that long after start-up.

With SLACK_STORE_IN_WORKER the web process has no recorder: it only acks, and `huddlebot worker` runs
`drain_until_stopped`, which drains the inbox every POLL seconds (another process wrote to it, so
there is nothing to wake it) - storing then never takes the interpreter from the thread that acks.
Either way a drain goes on at once only after a full batch: the events that arrive while one batch
is stored are taken together in the next, not each in a transaction of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

LINGER = 0.2
IDLE = 1.0
RETRY = 5.0
MOST = 200
# The worker's look at the inbox. Every batch it stores holds SQLite's one write lock while it writes, and
# an ack arriving then waits for it; fewer, larger batches cost less per event (0.3 ms of CPU at 1 s
# against 0.75 ms at 0.2 s, at 100 events/s) and make acks wait less often. A reply shows a second later.
POLL = 1.0


class MessageRecorder:
    """Calls `drain(MOST)` (which stores at most that many events and says how many it found) from one
    thread after each wake, until a drain finds less than a full batch."""

    def __init__(
        self,
        drain: Callable[[int], int],
        *,
        linger: float = LINGER,
        idle: float = IDLE,
        retry: float = RETRY,
        start_delay: float = 0.0,
    ) -> None:
        self._drain = drain
        self._linger = linger
        self._idle = idle
        self._retry = retry
        self._not_before = time.monotonic() + start_delay
        self._woken = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """There is (or may be) something in the inbox: it is drained soon, in this process."""
        self._woken.set()
        with self._lock:  # after the set: a thread ending now either sees it or has gone when this looks
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slack-recorder", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            if not self._woken.wait(self._idle):
                with self._lock:
                    if not self._woken.is_set():
                        self._thread = None
                        return
                continue
            # Asleep, not woken by each event that arrives meanwhile: they are all drained below.
            time.sleep(max(self._linger, self._not_before - time.monotonic()))
            self._woken.clear()
            try:  # again at once only after a full batch: what arrives meanwhile has woken it again
                while self._drain(MOST) >= MOST:
                    pass
            except Exception:  # the database failed: the events are still in the inbox
                log.exception("storing Slack message events failed; trying again in %g s", self._retry)
                time.sleep(self._retry)
                self._woken.set()


def drain_until_stopped(
    drain: Callable[[int], int], stop: threading.Event, *, poll: float = POLL, retry: float = RETRY
) -> None:
    """The worker's recorder: `drain(MOST)` every `poll` seconds (at once again while batches come full),
    until `stop` is set: the events that arrive while one batch is stored wait for the next poll rather
    than each paying for a transaction of their own. If the database fails, the events stay in the inbox
    and it tries again after `retry`."""
    while not stop.is_set():
        try:
            while drain(MOST) >= MOST and not stop.is_set():
                pass
        except Exception:
            log.exception("storing Slack message events failed; trying again in %g s", retry)
            stop.wait(retry)
            continue
        stop.wait(poll)
