"""Raising, acknowledging, resolving and re-escalating an SBAR escalation: a loop that closes.

Each escalation goes to the first contact for its level (the level's own list, else the team's); if
nobody acknowledges within the level's response target, or an acknowledged one is not resolved within
its resolution target, `reescalate_overdue` sends it to the next contact and says so in the original
thread. Past the last contact the definition's owner is alerted, once. Acknowledging records a
read-back (what the contact understood and will do), resolving records the outcome, and the person who
raised it is told of each step by DM and can say they are not satisfied, which moves it on at once.
Every step is appended to `Escalation.history` with its time, and every copy posted (one per contact
reached) is kept there too, so a change of state updates every copy: nobody is left
looking at an "open" escalation with a live Acknowledge button after someone else took it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.escalation.levels import Team, team
from bot.platforms.slack import SlackPlatform
from bot.slack.blocks import escalation_message, escape, raiser_update
from transcripts.db import Database
from transcripts.models import Escalation, utcnow

log = logging.getLogger(__name__)


def _sbar(e: Escalation) -> dict[str, str]:
    return {
        "situation": e.situation,
        "background": e.background,
        "assessment": e.assessment,
        "recommendation": e.recommendation,
    }


def _team(db: Database, channel: str) -> Team:
    with db.session() as s:
        return team(s, channel)


def copies(row: Escalation) -> list[tuple[str, str]]:
    """(channel, ts) of every copy of the escalation that was posted, oldest first."""
    found = [(h["channel"], h["ts"]) for h in row.history or [] if h.get("channel") and h.get("ts")]
    if row.posted_channel and row.posted_ts and (row.posted_channel, row.posted_ts) not in found:
        found.append((row.posted_channel, row.posted_ts))
    return found


def raise_escalation(
    db: Database,
    slack: SlackPlatform,
    *,
    team_channel: str,
    raised_by: str,
    level: int,
    sbar: dict[str, str],
    summary: str | None = None,
    workspace: str | None = None,
    event_id: int | None = None,
    now: datetime | None = None,
    identifiers_confirmed: list[str] | None = None,
) -> int:
    """`identifiers_confirmed`: the kinds of patient identifier the person confirmed safety needed (recorded)."""
    now = now or utcnow()
    the_team = _team(db, team_channel)
    lv = the_team.level(level)
    confirmed = (
        [{"by": raised_by, "at": now.isoformat(), "what": "identifiers confirmed", "kinds": identifiers_confirmed}]
        if identifiers_confirmed
        else []
    )
    first = the_team.contacts_for(lv.number)[0]
    with db.session() as s:
        row = Escalation(
            workspace=workspace,
            team_channel=team_channel,
            event_id=event_id,
            definition_id=the_team.definition_id,
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
            history=[{"step": 0, "to": first, "at": now.isoformat(), "what": "raised"}, *confirmed],
        )
        s.add(row)
        s.flush()
        escalation_id = row.id
    channel, ts = slack.post_blocks(
        first,
        f"Escalation #{escalation_id} level {lv.number} ({lv.name}) from <#{team_channel}>",
        escalation_message(escalation_id, lv, raised_by, sbar, "open"),
    )
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        row.posted_channel, row.posted_ts = channel, ts
        row.history = [{**row.history[0], "channel": channel, "ts": ts}, *row.history[1:]]
    if first != team_channel:
        slack.say(
            team_channel,
            f":rotating_light: <@{raised_by}> raised escalation #{escalation_id} at level {lv.number} ({lv.name})",
        )
    return escalation_id


def _refresh(slack: SlackPlatform, row: Escalation, the_team: Team, note: str) -> None:
    """Every copy shows the new state; a copy that cannot be updated does not stop the others."""
    content = escalation_message(row.id, the_team.level(row.level), row.raised_by, _sbar(row), row.status, note)
    for channel, ts in copies(row):
        try:
            slack.update_blocks(channel, ts, f"Escalation #{row.id}: {row.status}", content)
        except Exception as exc:
            log.warning("escalation %s: copy in %s not updated (%s)", row.id, channel, type(exc).__name__)


def what_happened(db: Database, escalation_id: int) -> str:
    """For a stale button: the escalation's state now, and who made it so."""
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None:
            return f"Escalation #{escalation_id} no longer exists."
        if row.status == "resolved":
            return f"Escalation #{row.id} was already resolved by <@{row.resolved_by}> at {row.resolved_at:%H:%M} UTC."
        if row.status == "acknowledged":
            return (
                f"Escalation #{row.id} was already acknowledged by <@{row.acknowledged_by}> "
                f"at {row.acknowledged_at:%H:%M} UTC."
            )
        return f"Escalation #{row.id} is {row.status}."


def _tell_raiser(slack: SlackPlatform, row: Escalation, text: str, *, can_push: bool) -> None:
    """The person who raised it hears of every step; while it is not resolved they can push it further."""
    try:
        slack.post_blocks(row.raised_by, text, raiser_update(row.id, text, can_push=can_push))
    except Exception as exc:  # the step itself is recorded; a DM that fails must not undo it
        log.warning("escalation %s: could not tell the raiser (%s)", row.id, type(exc).__name__)


def acknowledge(
    db: Database,
    slack: SlackPlatform,
    escalation_id: int,
    user: str,
    readback: str = "",
    now: datetime | None = None,
) -> bool:
    """First acknowledgement wins; later clicks change nothing. Starts the resolution clock."""
    now = now or utcnow()
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or row.status != "open":
            return False
        the_team = team(s, row.team_channel or "")
        row.status, row.acknowledged_by, row.acknowledged_at = "acknowledged", user, now
        row.readback = readback or None
        row.next_escalation_at = now + the_team.level(row.level).resolution_target
        row.history = [
            *row.history,
            {"step": row.contact_step, "by": user, "at": now.isoformat(), "what": "acknowledged", "readback": readback},
        ]
        said = f": “{escape(readback)}”" if readback else ""
        _refresh(slack, row, the_team, f"acknowledged by <@{user}>{said}")
        _tell_raiser(slack, row, f"Escalation #{row.id} was acknowledged by <@{user}>{said}", can_push=True)
    return True


def resolve(
    db: Database,
    slack: SlackPlatform,
    escalation_id: int,
    user: str,
    outcome: str = "",
    now: datetime | None = None,
) -> bool:
    now = now or utcnow()
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or row.status == "resolved":
            return False
        if row.acknowledged_at is None and user != row.raised_by:  # resolving implies it was seen
            row.acknowledged_by, row.acknowledged_at = user, now
        row.status, row.resolved_by, row.resolved_at, row.next_escalation_at = "resolved", user, now, None
        row.history = [
            *row.history,
            {"step": row.contact_step, "by": user, "at": now.isoformat(), "what": "resolved", "outcome": outcome},
        ]
        said = f": “{escape(outcome)}”" if outcome else ""
        _refresh(slack, row, team(s, row.team_channel or ""), f"resolved by <@{user}>{said}")
        if user != row.raised_by:
            _tell_raiser(slack, row, f"Escalation #{row.id} was resolved by <@{user}>{said}", can_push=True)
    return True


def escalate_further(
    db: Database, slack_for: Callable[[str | None], SlackPlatform], escalation_id: int, user: str
) -> bool:
    """The person who raised it is not satisfied: it moves to the next contact now, whatever its state."""
    now = utcnow()
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or user != row.raised_by:
            return False
        row.history = [*row.history, {"by": user, "at": now.isoformat(), "what": "not satisfied"}]
        row.status, row.next_escalation_at = "open", now
        row.resolved_at = row.resolved_by = None
    return _step(db, slack_for, escalation_id, now, why="the person who raised it was not satisfied")


def reescalate_overdue(
    db: Database, slack_for: Callable[[str | None], SlackPlatform], now: datetime | None = None
) -> list[int]:
    """Send every open escalation past its target to the next contact; returns the ids moved on."""
    now = now or utcnow()
    with db.session() as s:
        due = list(
            s.scalars(
                select(Escalation.id).where(
                    Escalation.status.in_(("open", "acknowledged")), Escalation.next_escalation_at <= now
                )
            )
        )
    moved = []
    for escalation_id in due:
        try:
            if _step(db, slack_for, escalation_id, now):
                moved.append(escalation_id)
        except Exception:  # one unreachable contact must not hold up the others; retried next tick
            log.exception("escalation %s: re-escalation failed", escalation_id)
    return moved


def _step(
    db: Database, slack_for: Callable[[str | None], Any], escalation_id: int, now: datetime, why: str = ""
) -> bool:
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        if row is None or row.status == "resolved" or row.next_escalation_at is None or row.next_escalation_at > now:
            return False
        the_team = team(s, row.team_channel or "")
        lv = the_team.level(row.level)
        contacts = the_team.contacts_for(lv.number)
        slack: SlackPlatform = slack_for(row.workspace)
        if not why:
            why = (
                f"not resolved within {lv.resolve_within} of being acknowledged"
                if row.status == "acknowledged"
                else f"not acknowledged within {lv.response}"
            )
        if row.contact_step + 1 >= len(contacts):
            _alert_owner(slack, row, the_team, why, now)
            return True
        step = row.contact_step + 1
        target = contacts[step]
        row.status = "open"
        row.acknowledged_by = row.acknowledged_at = row.readback = None
        note = f"{why}; re-escalated to {_mention(target)}"
        if row.posted_channel and row.posted_ts:
            slack.say(row.posted_channel, f":arrow_up: {note}.", thread_ts=row.posted_ts)
        channel, ts = slack.post_blocks(
            target,
            f"Re-escalated: escalation #{row.id} level {lv.number} was not acknowledged within {lv.response}",
            escalation_message(row.id, lv, row.raised_by, _sbar(row), "open", note),
        )
        if row.team_channel and row.team_channel != target:
            slack.say(row.team_channel, f"Escalation #{row.id} {note}.")
        _refresh(slack, row, the_team, note)  # the earlier copies say where it went
        row.contact_step = step
        row.posted_channel, row.posted_ts = channel, ts
        row.next_escalation_at = now + lv.response_target
        row.history = [
            *row.history,
            {"step": step, "to": target, "at": now.isoformat(), "what": "re-escalated", "channel": channel, "ts": ts},
        ]
        _tell_raiser(slack, row, f"Escalation #{row.id} {note}.", can_push=False)
    return True


def _alert_owner(slack: SlackPlatform, row: Escalation, the_team: Team, why: str, now: datetime) -> None:
    """Every contact has had it: the definition's owner (else the team channel) is told, once; the
    escalation stops moving, and stays open for someone to pick up."""
    where = the_team.owner or row.team_channel or the_team.channel
    text = (
        f":sos: Escalation #{row.id} (level {row.level}) has reached the last contact and is {why}. "
        f"Nobody on the escalation list has closed it: please act on it now."
    )
    slack.say(where, text)
    row.next_escalation_at = None
    row.history = [*row.history, {"to": where, "at": now.isoformat(), "what": "owner alerted", "why": why}]
    _tell_raiser(slack, row, f"Escalation #{row.id} {why} by anyone on the list; <@{where}> has been alerted."
                 if where.startswith(("U", "W")) else f"Escalation #{row.id} {why}; the team has been alerted.",
                 can_push=False)  # fmt: skip


def _mention(target: str) -> str:
    return f"<@{target}>" if target[:1] in ("U", "W") else f"<#{target}>"
