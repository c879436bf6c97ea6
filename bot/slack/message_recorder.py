"""Slack message events, stored after the ack by one thread, in the order they arrived.

The app queues each message event here as Bolt matches it, and acks it. The recorder thread wakes for
the first, sleeps LINGER, then takes all that has queued (at most MOST), so under load many replies share
one transaction instead of each paying for its own - and one thread, not a pool, leaves the thread
that acks Slack's requests fewer to fight for the interpreter. In-order processing keeps an edit or
delete after the reply it changes. The thread ends once idle for IDLE and starts again on the next
event; it is not a daemon, so what is queued is stored before the process exits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
Item = TypeVar("Item")

LINGER = 0.2
IDLE = 1.0
MOST = 200


class MessageRecorder(Generic[Item]):
    """Hands queued items to `store` in batches of at most MOST, in order, from one thread."""

    def __init__(self, store: Callable[[list[Item]], None], *, linger: float = LINGER, idle: float = IDLE) -> None:
        self._store = store
        self._linger = linger
        self._idle = idle
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, item: Item) -> None:
        with self._lock:
            self._queue.put(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slack-recorder")
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self._idle)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            time.sleep(self._linger)  # asleep, not woken by each event that arrives meanwhile
            while len(batch) < MOST:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._store(batch)
            except Exception:  # the store logs what it could not keep; the recorder carries on
                log.exception("storing %d Slack message events failed", len(batch))
