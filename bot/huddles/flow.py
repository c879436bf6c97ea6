"""A huddle's steps: open, take replies, remind the quiet, close with a summary — the record's rules
(`sessions`, `summary`) joined to the Slack adapter that sends.

Each step writes its intent to the record before Slack is called, so a restarted worker knows what
was done. Slack failures are retried inside slack_sdk (rate limits, dropped connections, 5xx); what is
left after that is either a permanent refusal, which fails the session with a reason the team can act
on, or for reminders and closes a failure the next tick tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.escalation.levels import current_level
from bot.huddles import safety, sessions
from bot.huddles.summary import huddle_summary
from bot.platforms.slack import SlackPlatform
from config.huddle_definition import HuddleDefinition
from transcripts.db import Database
from transcripts.models import Event, utcnow

log = logging.getLogger(__name__)

# Slack's answers that no retry will change, and what the team can do about each.
_FIXES = {
    "not_in_channel": "invite @huddlebot to {channel} (/invite @huddlebot in the channel)",
    "channel_not_found": "invite @huddlebot to {channel}, or check the channel id in the huddle definition",
    "is_archived": "{channel} is archived: point the huddle definition at a live channel",
    "invalid_auth": "the Slack token is not valid: reinstall huddlebot or set SLACK_BOT_TOKEN",
    "token_revoked": "huddlebot was removed from the workspace: reinstall it",
    "account_inactive": "huddlebot was removed from the workspace: reinstall it",
    "missing_scope": "huddlebot lacks a permission: reinstall it from the current manifest",
}


def why_failed(exc: Exception, channel: str) -> str:
    """One line a ward manager can act on."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or "error")
        fix = _FIXES.get(code)
        return f"Slack said {code}" + (f": {fix.format(channel=f'<#{channel}>')}" if fix else "")
    return f"Slack could not be reached ({type(exc).__name__}); it will be tried again at the next huddle"


def open_huddle(
    db: Database,
    slack: SlackPlatform,
    definition: HuddleDefinition,
    *,
    definition_id: int | None,
    now: datetime | None = None,
    channel: str | None = None,
    workspace: str | None = None,
    source: str = "extra",
) -> int:
    """Create the session and post its opening message; returns the event id.

    `source` is "schedule" for the day's planned session (at most one a day) and "extra" for `/huddle now`.
    A post Slack refuses fails the session with the reason, and tells the definition's owner.
    """
    channel = channel or definition.channel
    moment = now or utcnow()
    opening = sessions.create_session(
        db,
        definition,
        definition_id=definition_id,
        now=moment,
        channel=channel,
        workspace=workspace or definition.workspace,
        source=source,
    )
    with db.session() as s:
        level = current_level(s, channel).describe(moment)
        follow_up = safety.open_actions(s, channel, moment)
        harm = safety.harm_tallies(s, definition, moment)
    try:
        where, ts = slack.post_huddle_opening(
            channel, opening.title, opening.prompts, opening.event_id, opening.closes_local, level, follow_up, harm
        )
    except Exception as exc:
        reason = why_failed(exc, channel)
        sessions.mark_failed(db, opening.event_id, reason)
        log.error("huddle %s (%s) not opened: %s", opening.event_id, definition.name, reason)
        _tell_owner(slack, definition, f"Today's huddle '{definition.name}' could not be opened. {reason}.")
        return opening.event_id
    sessions.mark_opened(db, opening.event_id, where, ts, utcnow())
    for tally in harm:
        if tally.milestone:
            slack.say(channel, f":tada: {tally.milestone} days without {tally.kind} on {definition.name}. Well done!")
    return opening.event_id


def _tell_owner(slack: SlackPlatform, definition: HuddleDefinition, text: str) -> None:
    if not definition.owner:
        return
    try:
        slack.say(definition.owner, text)
    except Exception as exc:  # the failure itself is already recorded and logged
        log.warning("could not tell the owner of %s: %s", definition.name, type(exc).__name__)


def _local(moment: datetime | None, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}" if moment else ""


def expected_members(slack: SlackPlatform, definition: HuddleDefinition | None) -> list[str]:
    """Who is on the rota: the definition's members and its Slack user group. Nobody else is reminded or
    listed as absent (a channel holds off-duty staff too); anyone else who takes part is welcome."""
    if definition is None:
        return []
    expected = list(definition.members)
    if definition.user_group:
        expected += [u for u in slack.user_group_members(definition.user_group) if u not in expected]
    return expected


def remind(db: Database, slack: SlackPlatform, event_id: int, prompt_id: int) -> list[str]:
    """Remind (in the thread, or by DM) everyone expected who has not taken part yet; returns who."""
    with db.session() as s:
        event = s.get(Event, event_id)
        where = sessions.opening_ts(s, event_id)
        if event is None or where is None or event.status != "running":
            return []
        definition = sessions.definition_of(s, event)
        present = sessions.took_part(s, event)
        closes = _local(event.ends_at, event.timezone)
    channel, ts = where
    quiet = [m for m in expected_members(slack, definition) if m not in present]
    slack.remind(channel, ts, quiet, closes, by_dm=bool(definition and definition.remind_via == "dm"))
    with db.session() as s:
        sessions.mark_done(s, prompt_id)
    return quiet


def close(db: Database, slack: SlackPlatform, event_id: int, prompt_id: int, web_base_url: str) -> None:
    """Post the summary in the thread (its first post also to the channel), and mark the session closed.
    A summary too long for Slack ends with a link to the huddle's page, where all of it is."""
    with db.session() as s:
        event = s.get(Event, event_id)
        where = sessions.opening_ts(s, event_id)
        if event is None or where is None or event.status != "running":
            return
        definition = sessions.definition_of(s, event)
    channel, ts = where
    expected = expected_members(slack, definition)
    with db.session() as s:
        summary = huddle_summary(s, event_id, expected)
    slack.post_summary(channel, ts, summary, f"{web_base_url.rstrip('/')}/events/{event_id}")
    with db.session() as s:
        event = s.get(Event, event_id)
        assert event is not None
        event.status = "closed"
        sessions.mark_done(s, prompt_id)


def advance(
    db: Database, slack_for: Callable[[str | None], SlackPlatform], web_base_url: str, now: datetime | None = None
) -> int:
    """Send every reminder and close that is due in running huddles; returns how many were due."""
    due = sessions.due_work(db, now or utcnow())
    for work in due:
        try:
            slack = slack_for(work.workspace)
            if work.kind == "reminder":
                remind(db, slack, work.event_id, work.prompt_id)
            else:
                close(db, slack, work.event_id, work.prompt_id, web_base_url)
        except Exception:  # one failing huddle must not stop the others; the next tick retries it
            log.exception("huddle %s: %s failed", work.event_id, work.kind)
    return len(due)
