"""What a huddle's close says: who took part, answers per question, concerns, escalations, who was absent.

Computed from the record alone, as data; the Slack adapter decides how it is laid out and split into
posts, so the rules of the summary are written once whatever shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation.levels import current_level
from bot.huddles.matching import strip_marker
from bot.huddles.sessions import definition_of, escalations_of, questions, took_part
from transcripts.models import SHOWN, Answer, Escalation, Event, MessageRow, Participant, utcnow

# Answers to a concern question that mean "nothing to report" are not listed as concerns.
NOTHING = {"none", "no", "nil", "n/a", "na", "-", "nothing", "no concerns", "none today"}


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    number: int
    text: str
    answers: list[tuple[str, str]]  # (user id, answer without its number marker), oldest first


@dataclass(frozen=True, slots=True)
class RaisedEscalation:
    id: int
    level: int
    raised_by: str
    status: str
    summary: str


@dataclass(frozen=True, slots=True)
class HuddleSummary:
    title: str
    took_part: list[str]
    questions: list[AnsweredQuestion]
    concerns: list[tuple[int, str, str]]  # (question number, user id, text)
    escalations: list[RaisedEscalation]
    absent: list[str]
    level: str  # the team's escalation level as it stands at the close
    expected: bool  # whether the huddle has a rota; without one nobody is listed as absent
    event_id: int = 0


def is_concern(text: str) -> bool:
    return strip_marker(text).strip().lower().rstrip(".") not in NOTHING


def huddle_summary(session: Session, event_id: int, expected: list[str]) -> HuddleSummary:
    """The summary of a session; `expected` are the members who were due to take part."""
    event = session.get(Event, event_id)
    assert event is not None
    definition = definition_of(session, event)
    concern_numbers = {i for i, p in enumerate(definition.prompts, 1) if p.concern} if definition else set()
    rows = session.execute(
        select(Answer.prompt_id, MessageRow.text, Participant.platform_user_id)
        .join(MessageRow, MessageRow.id == Answer.message_id)
        .join(Participant, Participant.id == MessageRow.participant_id)
        .where(MessageRow.event_id == event_id, SHOWN)
        .order_by(MessageRow.created_at)
    ).all()
    by_prompt: dict[int, list[tuple[str, str]]] = {}
    for prompt_id, text, user in rows:
        by_prompt.setdefault(prompt_id, []).append((user, strip_marker(text)))
    asked = [AnsweredQuestion(p.number or 0, p.text, by_prompt.get(p.id, [])) for p in questions(session, event_id)]
    concerns = [
        (q.number, user, text)
        for q in asked
        if q.number in concern_numbers
        for user, text in q.answers
        if is_concern(text)
    ]
    present = took_part(session, event)
    escalations = [
        RaisedEscalation(e.id, e.level, e.raised_by, e.status, e.summary or e.situation)
        for e in session.scalars(select(Escalation).where(escalations_of(event)).order_by(Escalation.id))
    ]
    return HuddleSummary(
        title=event.title,
        took_part=sorted(present),
        questions=asked,
        concerns=concerns,
        escalations=escalations,
        absent=[m for m in expected if m not in present],
        level=current_level(session, event.channel or "").describe(utcnow()),
        expected=bool(expected),
        event_id=event_id,
    )
