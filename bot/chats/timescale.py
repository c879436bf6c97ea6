"""Chat time versus wall-clock time: identical for a live chat, compressed for a replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class TimeScale:
    real_start: datetime
    chat_start: datetime
    speed: float = 1.0

    @classmethod
    def live(cls) -> TimeScale:
        now = datetime.now(UTC)
        return cls(now, now, 1.0)

    def to_real(self, chat_time: datetime) -> datetime:
        return self.real_start + (chat_time - self.chat_start) / self.speed

    def to_chat(self, real_time: datetime) -> datetime:
        return self.chat_start + (real_time - self.real_start) * self.speed

    def chat_now(self) -> datetime:
        return self.to_chat(datetime.now(UTC))

    def real_duration(self, chat_duration: timedelta) -> timedelta:
        return chat_duration / self.speed
