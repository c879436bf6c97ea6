"""Slack message events out of the inbox and into the record: the drainer's work, after the ack.

Never the process that acks Slack: whichever process drains the inbox calls `store_from_inbox` - by
default the acking process's store process (bot.slack.store_process), a child it wakes after each ack,
or with SLACK_STORE_IN_WORKER `huddlebot worker` (bot.slack.message_recorder). Events are stored in
arrival order, each batch in the transaction that takes it out of the inbox (transcripts.slack_stores.taking),
so a kill at any point leaves each event either still in the inbox or stored, and several drainers
never store one twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import exc
from sqlalchemy.orm import Session

from bot.huddles import sessions
from bot.platforms import slack as slack_adapter
from bot.platforms.slack import SlackPlatform
from bot.slack.tokens import web_client
from config.settings import Settings
from transcripts.db import Database
from transcripts.message import Message
from transcripts.slack_stores import InboxRow, Taken, drop, taking

log = logging.getLogger(__name__)

# A reply withheld for patient identifiers: its workspace, the event, its author; told once stored.
Notice = tuple[str | None, dict[str, Any], str, sessions.Recorded]
# The database itself failed: the events stay in the inbox and the drainer tries again later.
DATABASE_FAILED = (exc.OperationalError, exc.InterfaceError)


def store_from_inbox(db: Database, settings: Settings, most: int) -> int:
    """The drainer's work: the oldest `most` events out of the inbox and into the record, in arrival
    order and one transaction; how many it found (0: the inbox is empty). Their authors are told of
    withheld replies after the commit. If one event cannot be stored, each is tried again in a
    transaction of its own, and one that still fails is logged and dropped."""
    rows: list[InboxRow] = []
    try:
        with db.session() as s, taking(s, most) as rows:
            notices = _store_rows(db, s, rows)
    except Taken:  # another process stores them
        return len(rows)
    except DATABASE_FAILED:
        raise
    except Exception:
        log.exception("%d Slack message events could not be recorded together; each again on its own", len(rows))
        notices = [notice for row in rows for notice in _store_alone(db, row.id)]
    for notice in notices:
        _warn(db, settings, *notice)
    return len(rows)


def _store_alone(db: Database, row_id: int) -> list[Notice]:
    try:
        with db.session() as s, taking(s, 1, [row_id]) as rows:
            return _store_rows(db, s, rows)
    except Taken:
        return []
    except DATABASE_FAILED:
        raise
    except Exception:
        log.exception("Slack message event %d could not be recorded; it is dropped", row_id)
        with db.session() as s:
            drop(s, [row_id])
        return []


def _store_rows(db: Database, s: Session, rows: list[InboxRow]) -> list[Notice]:
    """Each run of thread replies stored together, each edit or delete in its place between them."""
    notices: list[Notice] = []
    replies: list[tuple[Message, dict[str, Any], str | None]] = []
    for row in rows:
        event = json.loads(row.body)["event"]
        reply = slack_adapter.thread_reply(event) if event.get("subtype") in (None, "thread_broadcast") else None
        if reply is not None:
            replies.append((reply, event, row.team_id))
            continue
        notices += _store_replies(db, s, replies)
        replies = []
        notices += _store_change(db, s, event, row.team_id)
    return notices + _store_replies(db, s, replies)


def _store_replies(db: Database, s: Session, replies: list[tuple[Message, dict[str, Any], str | None]]) -> list[Notice]:
    if not replies:
        return []
    results = sessions.record_replies(db, [message for message, _, _ in replies], session=s)
    return [
        (team_id, event, str(event["user"]), recorded)
        for (_, event, team_id), recorded in zip(replies, results, strict=True)
        if recorded is not None and recorded.withheld and event.get("user")
    ]


def _store_change(db: Database, s: Session, event: dict[str, Any], team_id: str | None) -> list[Notice]:
    subtype, channel = event.get("subtype"), event.get("channel", "")
    if subtype == "message_changed":
        changed = event.get("message") or {}
        message_id, text, edited_at = slack_adapter.edited(channel, changed)
        recorded = sessions.record_edit(db, message_id, text, edited_at, changed, session=s)
        if recorded is not None and recorded.withheld and changed.get("user"):
            return [(team_id, {**changed, "channel": channel}, str(changed["user"]), recorded)]
    elif subtype == "message_deleted" and event.get("deleted_ts"):
        sessions.record_delete(db, f"{channel}:{event['deleted_ts']}", session=s)
    return []


def _warn(
    db: Database,
    settings: Settings,
    team_id: str | None,
    event: dict[str, Any],
    author: str,
    recorded: sessions.Recorded,
) -> None:
    try:
        SlackPlatform(web_client(settings, team_id, db)).warn_privately(
            event.get("channel", ""), author, event.get("thread_ts"), recorded.withheld or "", recorded.message_id
        )
    except Exception:
        log.exception("could not tell %s privately that their reply was withheld", author)
