"""LocalClock gives exactly what formatting each moment on its own gives, in every zone and era."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from transcripts.exporters.local_clock import LocalClock

ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Africa/Monrovia", "UTC")
FORMATS = ("%H:%M", "%Y-%m-%d %H:%M", "%d %B %Y")


def _moments() -> list[datetime]:
    rng = random.Random(16)
    # Around DST changes, LMT changes (offsets with seconds, at odd instants), and any second of any era.
    edges = [
        datetime(1847, 12, 1, 0, 1, 15, tzinfo=UTC), datetime(1972, 1, 7, 0, 44, 30, tzinfo=UTC),
        datetime(2024, 3, 31, 1, tzinfo=UTC), datetime(2024, 10, 27, 1, tzinfo=UTC),
        datetime(2024, 3, 10, 7, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC),
    ]  # fmt: skip
    out = [e + timedelta(seconds=s, microseconds=rng.randrange(1_000_000)) for e in edges for s in range(-90, 90, 7)]
    out += [datetime(1800, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(8_000_000_000)) for _ in range(3000)]
    return out


@pytest.mark.parametrize("zone", ZONES)
def test_each_moment_reads_as_it_would_alone(zone: str) -> None:
    moments = _moments()
    for fmt in FORMATS:
        clock = LocalClock(ZoneInfo(zone), fmt)
        assert [clock(m) for m in moments] == [m.astimezone(ZoneInfo(zone)).strftime(fmt) for m in moments]


def test_a_format_finer_than_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="finer than a minute"):
        LocalClock(ZoneInfo("UTC"), "%H:%M:%S")
