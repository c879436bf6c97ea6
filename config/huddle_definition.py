"""Huddle definitions: a recurring short stand-up in one Slack channel, with its escalation levels.

Validated with pydantic so a wrong day, time zone or level fails at `huddle add` with one line naming
the file and field, rather than at 07:30 on a ward with nobody noticing the huddle never opened.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.chat_definition import parse_offset
from config.yaml_models import IanaZone, load_yaml_model

# NHS guidance on messaging apps: a huddle is not the clinical record, so patients are never named in it.
NO_PATIENT_DATA = "Please do not post patient-identifiable information: use bed or bay, never names or numbers."
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


class EscalationLevel(BaseModel):
    """One step of a team's escalation scale (OPEL-style): what it means, what to do, how fast to answer."""

    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1, le=9)
    name: str = Field(min_length=1, max_length=80)
    meaning: str = Field(default="", max_length=500)
    actions: list[str] = Field(default_factory=list)
    triggers: list[str] = Field(default_factory=list, description="what puts the team at this level")
    response: str = Field(default="30m", description="how soon an escalation at this level must be acknowledged")
    resolve_within: str = Field(default="4h", description="how soon an acknowledged escalation must be resolved")
    contacts: list[str] = Field(
        default_factory=list, description="who escalations at this level go to, in order; the team's list if empty"
    )

    @field_validator("response", "resolve_within")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_offset(value)
        return value

    @property
    def response_target(self) -> timedelta:
        return parse_offset(self.response)

    @property
    def resolution_target(self) -> timedelta:
        return parse_offset(self.resolve_within)


# NHS England's Operational Pressures Escalation Levels, used when a team has not agreed its own. The
# meanings are NHS England's; the response and resolution targets are a starting point for a team to
# agree and edit, not national figures.
DEFAULT_LEVELS: tuple[EscalationLevel, ...] = (
    EscalationLevel(
        number=1,
        name="OPEL 1",
        meaning="Demand can be met within available resources.",
        actions=["Routine huddles; keep staffing and bed state current."],
        response="60m",
    ),
    EscalationLevel(
        number=2,
        name="OPEL 2",
        meaning="Starting to show signs of pressure.",
        actions=["Focused actions to avoid further escalation; tell the nurse in charge and bed manager."],
        response="30m",
    ),
    EscalationLevel(
        number=3,
        name="OPEL 3",
        meaning="Major pressures compromising patient flow.",
        actions=["Escalate to the matron/site manager; review staffing across wards; consider extra huddles."],
        response="15m",
    ),
    EscalationLevel(
        number=4,
        name="OPEL 4",
        meaning="Unable to deliver comprehensive care; patient safety may be compromised.",
        actions=["Invoke the organisation's full escalation plan; on-call director informed at once."],
        response="5m",
    ),
)


class PromptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=300)
    concern: bool = Field(default=False, description="answers here are listed as concerns in the summary")


class HuddleDefinition(BaseModel):
    """What `huddle add` accepts. Times are local to `timezone`; `window` is how long answers are awaited."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    channel: str = Field(min_length=1, max_length=100)
    workspace: str | None = None
    days: list[str] = Field(min_length=1)
    time: str
    timezone: IanaZone = "Europe/London"
    skip_dates: list[date] = Field(default_factory=list)
    window: str = "15m"
    prompts: list[PromptSpec] = Field(min_length=1, max_length=10)
    reminders: list[str] = Field(default_factory=lambda: ["5m"], description="how long before the close to remind")
    remind_via: str = Field(default="thread", pattern="^(thread|dm)$")
    members: list[str] = Field(
        default_factory=list, description="the rota: user ids expected to take part, reminded and listed if absent"
    )
    user_group: str | None = Field(
        default=None, description="a Slack user group (S...) whose members are expected, beside `members`"
    )
    level_review: str = Field(default="24h", description="how old a level may be before it shows as out of date")
    harm_kinds: list[str] = Field(
        default_factory=lambda: ["falls", "pressure ulcers", "deterioration", "medication"],
        description="the harms the team tallies days since the last of",
    )
    milestones: list[int] = Field(
        default_factory=lambda: [30, 60, 100, 200, 365], description="harm-free days celebrated in the channel"
    )
    escalation_levels: list[EscalationLevel] = Field(default_factory=lambda: list(DEFAULT_LEVELS))
    owner: str | None = Field(
        default=None, description="Slack user id told by DM when a huddle cannot be opened, and why"
    )
    escalation_contacts: list[str] = Field(
        default_factory=list, description="channels or user ids in the order escalations go to them"
    )
    cpd_logs: bool = Field(
        default=False, description="offer CPD logs of each session (a daily huddle is everyday practice, not CPD)"
    )

    @field_validator("prompts", mode="before")
    @classmethod
    def _plain_prompts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        for d in days:
            if d not in DAYS:
                raise ValueError(f"{d!r} is not a day (use mon..sun)")
        return days

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not _TIME_RE.match(value):
            raise ValueError(f"{value!r} is not a time like 07:45")
        return value

    @field_validator("window", "level_review")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_offset(value)
        return value

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: list[str]) -> list[str]:
        for v in value:
            parse_offset(v)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HuddleDefinition:
        numbers = [lv.number for lv in self.escalation_levels]
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError("escalation_levels must be numbered 1, 2, 3... without gaps")
        for r in self.reminders:
            if parse_offset(r) >= self.window_delta:
                raise ValueError(f"reminder {r} before the close is not inside the {self.window} window")
        return self

    @property
    def window_delta(self) -> timedelta:
        return parse_offset(self.window)

    @property
    def level_review_period(self) -> timedelta:
        return parse_offset(self.level_review)

    @property
    def local_time(self) -> time:
        return time.fromisoformat(self.time)

    def level(self, number: int) -> EscalationLevel:
        for lv in self.escalation_levels:
            if lv.number == number:
                return lv
        raise KeyError(number)


def load_huddle_definition(path: Path) -> HuddleDefinition:
    """Read and validate a YAML huddle definition; InputError names the file and field on bad input."""
    return load_yaml_model(HuddleDefinition, path, what="a huddle definition")
