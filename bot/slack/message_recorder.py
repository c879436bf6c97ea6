"""Slack message events drained from the inbox, in the order they arrived, by a process that does not ack.

The process answering Slack writes each message event to the inbox (`transcripts.slack_stores`) before
it acks it, and stores nothing: storing in it, even in a thread of its own, took the interpreter from
the thread that acks. One drainer per deployment shape runs `drain_until_stopped`:

- by default, the acking process's own store process (`bot.slack.store_process`), which that process
  wakes after each ack; it drains LINGER after a wake (so the replies that arrive meanwhile share its
  transaction), under load once a POLL, and every POLL without a wake;
- with SLACK_STORE_IN_WORKER, the leading `huddlebot worker` (bot.worker), which nothing wakes: it
  drains every POLL.

Either way a drain takes at most MOST events and goes on at once only after a full batch: the events
that arrive while one batch is stored are taken together in the next, not each in a transaction of its
own. In-order processing keeps an edit or delete after the reply it changes. Nothing is held only in
memory: what was acked before a kill is still in the inbox, and the next drainer stores it. If the
database fails, the events stay in the inbox and the drainer tries again after RETRY.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# After a wake (if it last found events at least POLL ago) the store process waits this long before
# draining, so a burst of replies is one batch.
LINGER = 0.2
RETRY = 5.0
MOST = 200
# A look at the inbox with no wake (the worker's only one), and the shortest time between the starts of
# two drains. Every batch holds SQLite's one write lock while it writes, and an ack arriving then waits
# for it; fewer, larger batches cost less per event (0.3 ms of CPU at 1 s against 0.75 ms at 0.2 s, at
# 100 events/s) and make acks wait less often. Under load a reply shows within about a second.
POLL = 1.0


def drain_until_stopped(
    drain: Callable[[int], int],
    stop: threading.Event,
    *,
    woken: threading.Event | None = None,
    poll: float = POLL,
    linger: float = LINGER,
    retry: float = RETRY,
) -> None:
    """`drain(MOST)` (which stores at most that many events and says how many it found) at once, then
    every `poll` seconds and, when `woken` is set, `linger` seconds after it - but not sooner than `poll`
    after the last drain that found events began: a reply after a quiet spell is stored within `linger`,
    and under load drains come once a `poll`, as the worker's do, each taking all that arrived meanwhile.
    Again at once while batches come full, until `stop` is set; after `stop` it starts no new batch. If
    the database fails, the events stay in the inbox and it tries again after `retry`."""
    found_at = -poll
    while not stop.is_set():
        began = time.monotonic()
        try:
            found = drain(MOST)
            if found:
                found_at = began
            while found >= MOST and not stop.is_set():
                found = drain(MOST)
        except Exception:
            log.exception("storing Slack message events failed; trying again in %g s", retry)
            stop.wait(retry)
            continue
        if woken is None:
            stop.wait(poll)
        elif woken.wait(poll):
            # Asleep, not woken again by each event that arrives meanwhile: the next drain takes them all.
            stop.wait(max(linger, found_at + poll - time.monotonic()))
            woken.clear()
