"""Only one worker leads; a standby takes over when the leader's process or connection dies."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from bot.leadership import leader_lock_for, wait_for_leadership
from transcripts.db import make_engine

HOLD_LOCK = """
import sys, time
from bot.leadership import leader_lock_for
from transcripts.db import make_engine
lock = leader_lock_for(make_engine(sys.argv[1]))
assert lock.try_acquire()
print("leading", flush=True)
time.sleep(120)
"""


def test_one_leader_and_takeover_when_the_leader_dies(db_url: str) -> None:
    leader = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, db_url], stdout=subprocess.PIPE, text=True)
    engine = make_engine(db_url)
    try:
        assert leader.stdout is not None and leader.stdout.readline().strip() == "leading"
        standby = leader_lock_for(engine)
        assert not standby.try_acquire()  # the leader holds it
        stop = threading.Event()
        took_over: list[float] = []

        def wait() -> None:
            if wait_for_leadership(standby, stop, poll_seconds=0.2):
                took_over.append(time.monotonic())

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        time.sleep(0.5)
        assert not took_over
        killed_at = time.monotonic()
        leader.kill()
        leader.wait(timeout=10)
        waiter.join(timeout=30)
        stop.set()
        assert took_over, "the standby never took over"
        assert took_over[0] - killed_at < 30
        assert standby.still_held()
        standby.release()
        assert not standby.still_held()
    finally:
        if leader.poll() is None:
            leader.kill()
        engine.dispose()


def test_leader_notices_a_lost_connection(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a file lock cannot be lost while its process lives")
    engine = make_engine(db_url)
    try:
        lock = leader_lock_for(engine)
        assert lock.try_acquire() and lock.still_held()
        admin = make_engine(db_url)
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid() "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        admin.dispose()
        assert not lock.still_held()
    finally:
        engine.dispose()
