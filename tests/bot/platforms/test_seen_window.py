"""The search cursor X and Bluesky share: the overlap grows only with a lag actually seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.platforms.base import MAX_OVERLAP, MIN_OVERLAP, SeenWindow


def test_the_overlap_follows_the_measured_lag_and_re_reads_are_not_new() -> None:
    t0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    window = SeenWindow.load(None)
    since = t0 - timedelta(minutes=5)
    assert window.take([], t0 - timedelta(seconds=15), since) == set()  # a first search that finds nothing
    assert window.newest is None and window.bound(since) == since
    assert window.take([("a", t0), ("b", t0 + timedelta(seconds=10))], t0 + timedelta(seconds=15), since) == {"a", "b"}
    assert window.overlap == MIN_OVERLAP
    assert window.bound(since) == t0 + timedelta(seconds=10) - MIN_OVERLAP
    # The next search: "b" again (a re-read), and "c", made 12 s before the last search began but not
    # returned by it: indexed late. The overlap becomes twice that lag.
    window = SeenWindow.load(window.dump())  # as a restarted worker would read it back
    bound = window.bound(since)
    found = [("b", t0 + timedelta(seconds=10)), ("c", t0 + timedelta(seconds=3)), ("d", t0 + timedelta(seconds=20))]
    assert window.take(found, t0 + timedelta(seconds=30), bound) == {"c", "d"}
    assert window.lag_seconds == 12.0 and window.overlap == MIN_OVERLAP
    late = [("e", t0 - timedelta(seconds=25))]  # made before the last search asked from: says nothing of lag
    window.take(late, t0 + timedelta(seconds=45), window.bound(since))
    assert window.lag_seconds == 12.0
    window.take([("f", t0 + timedelta(seconds=5))], t0 + timedelta(seconds=60), window.bound(since))
    assert window.lag_seconds == 40.0 and window.overlap == timedelta(seconds=80) <= MAX_OVERLAP
