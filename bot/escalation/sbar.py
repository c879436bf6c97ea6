"""Raising, acknowledging, resolving and re-escalating an SBAR escalation.

Each escalation goes to the first contact of its team's list; if nobody acknowledges within its
level's response target, `reescalate_overdue` sends it to the next contact and says so in the
original thread. Every step is appended to `Escalation.history` with its time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select

from bot.huddles.definitions import definition_for_channel, levels_for
from bot.slack.blocks import escalation_message
from config.huddle_definition import EscalationLevel
from transcripts.db import Database
from transcripts.models import Escalation, utcnow

log = logging.getLogger(__name__)


def _context(db: Database, team_channel: str) -> tuple[int | None, list[EscalationLevel], list[str]]:
    with db.session() as s:
        definition_id, definition = definition_for_channel(s, team_channel)
    contacts = list(definition.escalation_contacts) if definition else []
    return definition_id, levels_for(definition), contacts or [team_channel]


def _level(levels: list[EscalationLevel], number: int) -> EscalationLevel:
    for lv in levels:
        if lv.number == number:
            return lv
    return levels[-1]


def _sbar(e: Escalation) -> dict[str, str]:
    return {
        "situation": e.situation,
        "background": e.background,
        "assessment": e.assessment,
        "recommendation": e.recommendation,
    }


def raise_escalation(
    db: Database,
    client: WebClient,
    *,
    team_channel: str,
    raised_by: str,
    level: int,
    sbar: dict[str, str],
    summary: str | None = None,
    workspace: str | None = None,
    event_id: int | None = None,
    now: datetime | None = None,
) -> int:
    now = now or utcnow()
    definition_id, levels, contacts = _context(db, team_channel)
    lv = _level(levels, level)
    with db.session() as s:
        row = Escalation(
            workspace=workspace,
            team_channel=team_channel,
            event_id=event_id,
            definition_id=definition_id,
            level=lv.number,
            situation=sbar.get("situation", ""),
            background=sbar.get("background", ""),
            assessment=sbar.get("assessment", ""),
            recommendation=sbar.get("recommendation", ""),
            summary=summary or None,
            raised_by=raised_by,
            raised_at=now,
            contact_step=0,
            next_escalation_at=now + lv.response_target,
            history=[{"step": 0, "to": contacts[0], "at": now.isoformat(), "what": "raised"}],
        )
        s.add(row)
        s.flush()
        escalation_id = row.id
    response = client.chat_postMessage(
        channel=contacts[0],
        text=f"Escalation #{escalation_id} level {lv.number} ({lv.name}) from <#{team_channel}>",
        blocks=escalation_message(escalation_id, lv, raised_by, sbar, "open"),
    )
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        row.posted_channel, row.posted_ts = str(response.get("channel") or contacts[0]), str(response["ts"])
    if contacts[0] != team_channel:
        client.chat_postMessage(
            channel=team_channel,
            text=f":rotating_light: <@{raised_by}> raised escalation #{escalation_id} at level {lv.number} ({lv.name})",
        )
    return escalation_id


def _refresh(client: WebClient, row: Escalation, levels: list[EscalationLevel], note: str) -> None:
    if row.posted_channel and row.posted_ts:
        client.chat_update(
            channel=row.posted_channel,
            ts=row.posted_ts,
            text=f"Escalation #{row.id}: {row.status}",
            blocks=escalation_message(row.id, _level(levels, row.level), row.raised_by, _sbar(row), row.status, note),
        )


def acknowledge(db: Database, client: WebClient, escalation_id: int, user: str, now: datetime | None = None) -> bool:
    """First acknowledgement wins; later clicks change nothing. Stops re-escalation."""
    now = now or utcnow()
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or row.status != "open":
            return False
        row.status, row.acknowledged_by, row.acknowledged_at, row.next_escalation_at = "acknowledged", user, now, None
        row.history = [
            *row.history,
            {"step": row.contact_step, "by": user, "at": now.isoformat(), "what": "acknowledged"},
        ]
        _, levels, _ = _context(db, row.team_channel or "")
        _refresh(client, row, levels, f"acknowledged by <@{user}>")
    return True


def resolve(db: Database, client: WebClient, escalation_id: int, user: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or row.status == "resolved":
            return False
        if row.acknowledged_at is None:  # resolving implies it was seen
            row.acknowledged_by, row.acknowledged_at = user, now
        row.status, row.resolved_by, row.resolved_at, row.next_escalation_at = "resolved", user, now, None
        row.history = [*row.history, {"step": row.contact_step, "by": user, "at": now.isoformat(), "what": "resolved"}]
        _, levels, _ = _context(db, row.team_channel or "")
        _refresh(client, row, levels, f"resolved by <@{user}>")
    return True


def reescalate_overdue(db: Database, client_for: Callable[[str | None], Any], now: datetime | None = None) -> list[int]:
    """Send every open escalation past its target to the next contact; returns the ids moved on."""
    now = now or utcnow()
    with db.session() as s:
        due = list(
            s.scalars(select(Escalation.id).where(Escalation.status == "open", Escalation.next_escalation_at <= now))
        )
    moved = []
    for escalation_id in due:
        try:
            if _step(db, client_for, escalation_id, now):
                moved.append(escalation_id)
        except Exception:  # one unreachable contact must not hold up the others; retried next tick
            log.exception("escalation %s: re-escalation failed", escalation_id)
    return moved


def _step(db: Database, client_for: Callable[[str | None], Any], escalation_id: int, now: datetime) -> bool:
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or row.status != "open" or row.next_escalation_at is None or row.next_escalation_at > now:
            return False
        _, levels, contacts = _context(db, row.team_channel or "")
        lv = _level(levels, row.level)
        step = min(row.contact_step + 1, len(contacts) - 1)
        target = contacts[step]
        client = client_for(row.workspace)
        note = f"not acknowledged within {lv.response}; re-escalated to {_mention(target)}"
        if row.posted_channel and row.posted_ts:
            client.chat_postMessage(channel=row.posted_channel, thread_ts=row.posted_ts, text=f":arrow_up: {note}.")
        response = client.chat_postMessage(
            channel=target,
            text=f"Re-escalated: escalation #{row.id} level {lv.number} was not acknowledged within {lv.response}",
            blocks=escalation_message(row.id, lv, row.raised_by, _sbar(row), "open", note),
        )
        if row.team_channel and row.team_channel != target:
            client.chat_postMessage(channel=row.team_channel, text=f"Escalation #{row.id} {note}.")
        row.contact_step = step
        row.posted_channel, row.posted_ts = str(response.get("channel") or target), str(response["ts"])
        row.next_escalation_at = now + lv.response_target
        row.history = [*row.history, {"step": step, "to": target, "at": now.isoformat(), "what": "re-escalated"}]
    return True


def _mention(target: str) -> str:
    return f"<@{target}>" if target[:1] in ("U", "W") else f"<#{target}>"
