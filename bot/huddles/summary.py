"""The close-of-huddle summary: who answered, answers per question, concerns, escalations, who was absent."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.slack.blocks import escape
from config.huddle_definition import HuddleDefinition
from transcripts.models import Answer, Escalation, Event, MessageRow, Participant, Prompt

# "2: ...", "A2 ...", "2) ..." mark a thread reply as an answer to question 2.
NUMBER_PREFIX = re.compile(r"^\s*(?:[AQ])?(\d{1,2})\s*[:.)\-]\s*", re.IGNORECASE)
# Answers to a concern question that mean "nothing to report" are not listed as concerns.
NOTHING = {"none", "no", "nil", "n/a", "na", "-", "nothing", "no concerns", "none today"}


def huddle_summary(session: Session, event_id: int, members: list[str], definition: HuddleDefinition | None) -> str:
    event = session.get(Event, event_id)
    assert event is not None
    prompts = list(
        session.scalars(
            select(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "question").order_by(Prompt.number)
        )
    )
    concern_numbers = {i for i, p in enumerate(definition.prompts, 1) if p.concern} if definition else set()
    rows = session.execute(
        select(Answer.prompt_id, MessageRow.text, Participant.platform_user_id)
        .join(MessageRow, MessageRow.id == Answer.message_id)
        .join(Participant, Participant.id == MessageRow.participant_id)
        .where(MessageRow.event_id == event_id, MessageRow.deleted_at.is_(None))
        .order_by(MessageRow.created_at)
    ).all()
    by_prompt: dict[int, list[tuple[str, str]]] = {}
    for prompt_id, text, user in rows:
        by_prompt.setdefault(prompt_id, []).append((user, text))
    answered = sorted({user for _, _, user in rows})
    absent = [m for m in members if m not in answered]

    lines = [f"*Summary of {escape(event.title)}*", f"*Answered ({len(answered)}):* " + (_people(answered) or "nobody")]
    concerns: list[str] = []
    for prompt in prompts:
        lines.append(f"*{prompt.number}. {escape(prompt.text)}*")
        answers = by_prompt.get(prompt.id, [])
        if not answers:
            lines.append("  _no answers_")
        for user, text in answers:
            lines.append(f"  - <@{user}>: {escape(_strip_marker(text))}")
            if prompt.number in concern_numbers and _strip_marker(text).strip().lower().rstrip(".") not in NOTHING:
                concerns.append(f"- ({prompt.number}) <@{user}>: {escape(_strip_marker(text))}")
    lines.append(f"*Concerns flagged ({len(concerns)}):*")
    lines.extend(concerns or ["  none"])
    escalations = list(
        session.scalars(
            select(Escalation)
            .where(
                or_(
                    Escalation.event_id == event_id,
                    (Escalation.team_channel == event.channel)
                    & (Escalation.raised_at >= event.starts_at)
                    & (Escalation.raised_at <= (event.ends_at or event.starts_at)),
                )
            )
            .order_by(Escalation.id)
        )
    )
    lines.append(f"*Escalations raised ({len(escalations)}):*")
    lines.extend(
        [
            f"- #{e.id} level {e.level} by <@{e.raised_by}> ({e.status}): {escape(e.summary or e.situation)}"
            for e in escalations
        ]
        or ["  none"]
    )
    lines.append(f"*Absent ({len(absent)}):* " + (_people(absent) or "nobody"))
    return "\n".join(lines)


def _people(users: list[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)


def _strip_marker(text: str) -> str:
    return NUMBER_PREFIX.sub("", text, count=1)
