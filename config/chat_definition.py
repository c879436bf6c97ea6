"""A tweet chat as a host defines it once: where, when, what is asked and when.

Validated with pydantic before anything is scheduled, so a typo in a question's time is reported with
the field and the reason instead of surfacing as a question posted at the wrong moment. Times are
local to the chat's IANA zone: hosts think "8pm UK time", and daylight saving is the zone's business.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.yaml_models import IanaZone, load_yaml_model

_OFFSET_RE = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
Platform = Literal["x", "bluesky", "local"]


def _clock(match: re.Match[str]) -> time:
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def parse_offset(text: str) -> timedelta:
    """'3m', '90s', '1h30m' as a duration; ValueError for anything else."""
    m = _OFFSET_RE.match(text.strip())
    if not m or not any(m.groups()):
        raise ValueError(f"{text!r} is not a duration like 3m, 90s or 1h30m")
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


class Timed(BaseModel):
    """Something said at an offset from the start ('3m', '90s') or at a local clock time ('20:15')."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=280)
    at: str

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        if _CLOCK_RE.match(value.strip()):
            return value.strip()
        parse_offset(value)
        return value.strip()

    def offset_from(self, start: datetime) -> timedelta:
        """How long after `start` (local, aware) this is due."""
        clock = _CLOCK_RE.match(self.at)
        if clock:
            due = datetime.combine(start.date(), _clock(clock), tzinfo=start.tzinfo)
            if due < start:
                due += timedelta(days=1)  # a chat that runs past midnight
            return due - start
        return parse_offset(self.at)


class ChatDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    topic: str = ""
    hashtag: str
    host: str = Field(min_length=1, max_length=50)
    # Co-hosts and supporters who post for the chat: like the host, their posts are never answers.
    cohosts: list[str] = Field(default_factory=list, max_length=20)
    platforms: list[Platform] = Field(default_factory=lambda: ["local"], min_length=1)
    date: date
    start: str  # local clock time, "20:00"
    timezone: IanaZone
    duration: str = "60m"
    welcome: str = Field(min_length=1, max_length=280)
    questions: list[Timed] = Field(min_length=1, max_length=20)
    reminders: list[Timed] = Field(default_factory=list)
    closing: str = Field(min_length=1, max_length=280)
    misfire_grace: str = "10m"
    poll_interval: str = "15s"
    expected_posts: int = Field(default=300, ge=0)

    @field_validator("hashtag")
    @classmethod
    def _hashtag(cls, value: str) -> str:
        if not re.fullmatch(r"#\w{1,99}", value):
            raise ValueError(f"{value!r} is not a hashtag like #WeNurses")
        return value

    @field_validator("cohosts")
    @classmethod
    def _cohosts(cls, value: list[str]) -> list[str]:
        handles = [v.strip().lstrip("@") for v in value]
        for handle in handles:
            if not re.fullmatch(r"\w{1,50}", handle):
                raise ValueError(f"{handle!r} is not a handle like @wehcmanagers")
        return list(dict.fromkeys(handles))

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if not _CLOCK_RE.match(value.strip()):
            raise ValueError(f"{value!r} is not a local time like 20:00")
        return value.strip()

    @field_validator("duration", "misfire_grace", "poll_interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_offset(value)
        return value

    @field_validator("platforms")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a platform is listed twice")
        return value

    @model_validator(mode="after")
    def _inside_the_chat(self) -> ChatDefinition:
        length = parse_offset(self.duration)
        for kind, items in (("questions", self.questions), ("reminders", self.reminders)):
            for i, item in enumerate(items):
                if item.offset_from(self.starts_at()) > length:
                    raise ValueError(f"{kind}.{i}.at: {item.at} is after the chat ends ({self.duration})")
        offsets = [q.offset_from(self.starts_at()) for q in self.questions]
        if offsets != sorted(offsets):
            raise ValueError("questions: not in the order they are asked")
        return self

    def starts_at(self) -> datetime:
        clock = _CLOCK_RE.match(self.start)
        assert clock
        return datetime.combine(self.date, _clock(clock), tzinfo=ZoneInfo(self.timezone))

    def ends_at(self) -> datetime:
        return self.starts_at() + parse_offset(self.duration)


def load_chat_definition(path: Path) -> ChatDefinition:
    """Read and validate a YAML chat definition; InputError names the file and the field at fault."""
    return load_yaml_model(ChatDefinition, path, what="a chat definition (title, hashtag, questions, ...)")
