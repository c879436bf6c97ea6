"""Checks every importer applies to what it reads, so bad input is refused with one line naming its place.

They exist because Python's own failures on hostile input are tracebacks, not answers: a year 0001
with an offset overflows, and a list where an id belongs
silently becomes the string "[1, 2]". Each check raises `RecordError(where, reason)` instead.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from transcripts.errors import RecordError

EARLIEST = datetime(2006, 1, 1, tzinfo=UTC)  # X (then Twitter) opened in 2006; no record is older
FUTURE_SLACK = timedelta(days=1)  # a clock a little ahead is plausible; a post next year is not


def _latest() -> datetime:
    """A day from now, worked out at most once a second: it is asked once per post of a large import."""
    second = int(time.time())
    if LATEST_KNOWN[0] != second:
        LATEST_KNOWN[:] = [second, datetime.now(UTC) + FUTURE_SLACK]
    return LATEST_KNOWN[1]


# [the second of the last clock reading, a day after it]. The bound only grows, so a time no later than
# it is plausible now too: a reader of many posts compares with it and asks the clock only past it.
LATEST_KNOWN: list[Any] = [0, EARLIEST]


def plausible_time(moment: datetime, where: str, field: str) -> datetime:
    """`moment` (timezone-aware) in UTC, or RecordError when it is before 2006 or over a day ahead."""
    if moment.tzinfo is UTC and EARLIEST <= moment <= _latest():  # the common case, without conversions
        return moment
    offset = moment.utcoffset()
    if offset is None:
        raise RecordError(where, f"{field}: {moment.isoformat()} has no time zone")
    naive_utc = moment.replace(tzinfo=None)
    # Compare on the wall-clock value first: converting year 1 or 9999 to UTC can overflow.
    latest = _latest()
    if naive_utc.year < EARLIEST.year - 1 or naive_utc.year > latest.year + 1:
        raise RecordError(where, f"{field}: {moment.isoformat()} is {_why(naive_utc.year < EARLIEST.year)}")
    utc = moment.astimezone(UTC)
    if utc < EARLIEST or utc > latest:
        raise RecordError(where, f"{field}: {moment.isoformat()} is {_why(utc < EARLIEST)}")
    return utc


def _why(too_early: bool) -> str:
    return "before 2006, older than any chat record" if too_early else "more than a day in the future"


def text_value(value: Any, where: str, field: str, *, required: bool = True) -> str | None:
    """A string field: refused when it is another type (a list or a boolean is not a name)."""
    if value is None or value == "":
        if required:
            raise RecordError(where, f"{field}: missing")
        return None
    if not isinstance(value, str):
        raise RecordError(where, f"{field}: expected text, got {_kind(value)}")
    return value


def id_value(value: Any, where: str, field: str, *, required: bool = True) -> str | None:
    """An id: a string or an integer, never an object, a list, a boolean or a float."""
    if value is None or value == "":
        if required:
            raise RecordError(where, f"{field}: missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(where, f"{field}: expected an id (text or a whole number), got {_kind(value)}")
    return str(value)


def object_value(value: Any, where: str, field: str) -> dict[str, Any]:
    """An optional JSON object: absent is empty; any other type is refused."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(where, f"{field}: expected an object, got {_kind(value)}")
    return value


def list_value(value: Any, where: str, field: str) -> list[Any]:
    """An optional JSON list: absent is empty; any other type is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(where, f"{field}: expected a list, got {_kind(value)}")
    return value


def objects(value: Any, where: str, field: str) -> list[dict[str, Any]]:
    """An optional list whose items must all be objects."""
    items = list_value(value, where, field)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RecordError(where, f"{field}[{i}]: expected an object, got {_kind(item)}")
    return items


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
