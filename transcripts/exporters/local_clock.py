"""Moments as text in an event's own zone, to the minute, each minute formatted once.

A 50,000-post chat has an hour's worth of minutes; converting and formatting every post's time
(`astimezone` and `strftime`, in the page, the Markdown and the CSV) was a good part of writing them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_LAST_MOMENT = timedelta(seconds=59, microseconds=999_999)
_MINUTE = timedelta(minutes=1)


class LocalClock:
    """`clock(moment)` is `moment.astimezone(zone).strftime(fmt)` for a format to the minute ("%H:%M").

    A minute's text is reused for every moment in the same UTC minute, which gives the same text only
    when the zone's offset is the same all minute and a whole number of minutes; where it is not (the
    local mean times of the 1800s), the moment is formatted on its own.
    """

    def __init__(self, zone: ZoneInfo, fmt: str) -> None:
        if any(code in fmt for code in ("%S", "%f", "%c", "%X", "%T", "%s")):
            raise ValueError(f"{fmt!r} is finer than a minute")
        self._zone = zone
        self._fmt = fmt
        self._minutes: dict[float, str] = {}

    def __call__(self, moment: datetime) -> str:
        minute = moment.timestamp() // 60
        text = self._minutes.get(minute)
        if text is None:
            text = self._minute(moment, minute)
        return text

    def _minute(self, moment: datetime, minute: float) -> str:
        try:
            start = datetime.fromtimestamp(minute * 60, UTC)
            first, last = start.astimezone(self._zone), (start + _LAST_MOMENT).astimezone(self._zone)
        except (OverflowError, ValueError, OSError):  # at the ends of the calendar: the moment alone decides
            return moment.astimezone(self._zone).strftime(self._fmt)
        offset = first.utcoffset()
        if offset is not None and offset == last.utcoffset() and not offset % _MINUTE:
            text = self._minutes[minute] = first.strftime(self._fmt)
            return text
        return moment.astimezone(self._zone).strftime(self._fmt)
