"""Slack exports read as Slack wrote them: local days, conversation only, authors and markup as shown.

The export format (https://slack.com/help/articles/220556107): `users.json`, `channels.json` and a
folder per channel of `YYYY-MM-DD.json` files, each a day in the workspace's time zone, each message
with an exact `ts` instant. System lines carry a `subtype`; a deleted parent is a `tombstone`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from transcripts.db import Database
from transcripts.importers import ImportOptions, import_path, parse_path
from transcripts.models import Event, MessageRow
from transcripts.slack_payload import SYSTEM_SUBTYPES
from transcripts.snapshot import load_event

USERS = [
    {"id": "U1", "team_id": "T0CHI", "name": "sam", "profile": {"display_name": "Sammy", "real_name": "Sam Ward"}},
    {"id": "U2", "team_id": "T0CHI", "name": "ali", "real_name": "Ali Bay", "profile": {}},
    {"id": "U3", "team_id": "T0CHI", "name": "jo", "profile": {"display_name": "", "real_name": ""}},
]
CHANNELS = [{"id": "C1", "name": "ward-7"}, {"id": "C2", "name": "theatres"}]

# America/Chicago (CST, UTC-6 in early March 2024): 23:50 on the 7th is 05:50 UTC on the 8th.
NIGHT_ROOT = "1709877000.000100"  # 2024-03-07 23:50 Chicago
NIGHT_REPLY = "1709878800.000200"  # 2024-03-08 00:20 Chicago, in the 8th's file, answering the 7th's thread
DAY7 = [
    {"type": "message", "user": "U1", "text": "Morning huddle: staffing?", "ts": "1709823600.000100"},  # 09:00
    {"type": "message", "user": "U2", "text": "Night shift: bay 2 needs a hoist", "ts": NIGHT_ROOT,
     "thread_ts": NIGHT_ROOT, "reply_count": 1},
]  # fmt: skip
DAY8 = [
    {"type": "message", "user": "U1", "text": "On it", "ts": NIGHT_REPLY, "thread_ts": NIGHT_ROOT},
    {"type": "message", "user": "U2", "text": "All quiet", "ts": "1709910000.000300"},  # 09:00
    {"type": "message", "user": "U1", "text": "Handover done", "ts": "1709963700.000400"},  # 23:55
]


def _export(root: Path, days: dict[str, list[dict[str, Any]]], users: list[dict[str, Any]] = USERS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "users.json").write_text(json.dumps(users))
    (root / "channels.json").write_text(json.dumps(CHANNELS))
    for name, messages in days.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(messages))
    return root


def test_days_are_the_workspaces_days_inferred_and_said(tmp_path: Path) -> None:
    export = _export(tmp_path / "export", {"ward-7/2024-03-07.json": DAY7, "ward-7/2024-03-08.json": DAY8})
    events = parse_path(export)
    assert [(e.title, e.timezone, e.starts_at.isoformat()) for e in events] == [
        ("#ward-7 2024-03-07", "America/Chicago", "2024-03-07T06:00:00+00:00"),
        ("#ward-7 2024-03-08", "America/Chicago", "2024-03-08T06:00:00+00:00"),
    ]
    first, second = events
    # the thread that ran past midnight stays one conversation, on the day it started
    assert [m.text for m in first.messages] == [
        "Morning huddle: staffing?",
        "Night shift: bay 2 needs a hoist",
        "On it",
    ]
    assert [m.text for m in second.messages] == ["All quiet", "Handover done"]
    assert any("America/Chicago" in note and "--timezone" in note for note in first.notes)


def test_timezone_given_is_used_and_nothing_is_inferred(tmp_path: Path) -> None:
    export = _export(tmp_path / "export", {"ward-7/2024-03-07.json": DAY7, "ward-7/2024-03-08.json": DAY8})
    events = parse_path(export, ImportOptions(timezone="America/Chicago"))
    assert {e.timezone for e in events} == {"America/Chicago"} and not any(e.notes for e in events)


SYSTEM_LINES = [
    {"type": "message", "subtype": subtype, "user": "U3", "text": f"<@U3> {subtype.replace('_', ' ')}",
     "ts": f"1709830000.{n:06d}"}
    for n, subtype in enumerate(sorted(SYSTEM_SUBTYPES - {"bot_message", "tombstone"}))
]  # fmt: skip
NOT_POSTS = [
    *SYSTEM_LINES,
    # a deleted parent kept as a placeholder, with its two-person thread under it
    {"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "text": "This message was deleted.",
     "hidden": True, "ts": "1709831000.000100", "thread_ts": "1709831000.000100", "reply_count": 2},
    {"type": "message", "subtype": "bot_message", "bot_id": "B0JL6RASU", "username": "ci", "text": "",
     "ts": "1709832000.000100"},
    {"type": "message", "subtype": "bot_message", "bot_id": "B0JL6RASU", "text": "Build passed",
     "ts": "1709832001.000100"},
    {"type": "message", "user": "B0JL6RASU", "text": "I am a bot user", "ts": "1709832002.000100"},
    {"type": "message", "bot_id": "B0JL6RASU", "text": "An integration's post", "ts": "1709832003.000100"},
    {"type": "message", "subtype": "file_share", "user": "U3", "text": "", "files": [{"id": "F1"}],
     "ts": "1709832004.000100"},
]  # fmt: skip
THREAD = [
    {"type": "message", "user": "U1", "text": "I think we should escalate :thinking_face:",
     "ts": "1709831100.000100", "thread_ts": "1709831000.000100", "parent_user_id": "USLACKBOT"},
    {"type": "message", "user": "U2",
     "text": "Agreed, <@U1>: see <https://example.org/sbar|the SBAR> in <#C2|theatres>",
     "ts": "1709831200.000100", "thread_ts": "1709831000.000100", "parent_user_id": "USLACKBOT"},
    {"type": "message", "subtype": "file_comment", "text": "<@U3> commented on a file",
     "comment": {"id": "Fc1", "user": "U3", "comment": "Looks right &amp; complete :+1:"}, "ts": "1709831300.000100"},
]  # fmt: skip


def test_system_lines_tombstones_bots_and_empty_shares_are_not_posts_or_contributors(
    db: Database, tmp_path: Path
) -> None:
    export = _export(tmp_path / "export", {"ward-7/2024-03-07.json": NOT_POSTS + THREAD})
    [(event_id, new)] = import_path(db, export, ImportOptions(timezone="America/Chicago"))
    assert new == 3
    with db.session() as s:
        snap = load_event(s, event_id)
        texts = [m.text for m in snap.messages]
        assert texts == [
            "I think we should escalate 🤔",
            "Agreed, @Sammy: see the SBAR (https://example.org/sbar) in #theatres",
            "Looks right & complete 👍",
        ]
        authors = [snap.author(m) for m in snap.messages]
        assert [(p.platform_user_id, p.handle, p.name) for p in authors] == [
            ("U1", "sam", "Sammy"), ("U2", "ali", "Ali Bay"), ("U3", "jo", "jo"),
        ]  # fmt: skip
        assert {p.platform_user_id for p in snap.people.values()} == {"U1", "U2", "U3"}
        stored = s.scalars(select(MessageRow)).all()
        assert {r.raw["ts"] for r in stored} == {m["ts"] for m in THREAD}
        assert stored[0].mentions == [] and stored[1].mentions == ["U1"]


def test_an_export_of_only_system_lines_is_refused(tmp_path: Path) -> None:
    export = _export(tmp_path / "export", {"ward-7/2024-03-07.json": NOT_POSTS})
    with pytest.raises(Exception, match="no messages in any channel"):
        parse_path(export)


@pytest.mark.parametrize("where", ["users", "messages", "option"])
def test_an_export_belongs_to_its_workspace(db: Database, tmp_path: Path, where: str) -> None:
    users = USERS if where == "users" else [{k: v for k, v in u.items() if k != "team_id"} for u in USERS]
    day = [{**m, "team": "T0MSG"} for m in DAY7] if where == "messages" else DAY7
    export = _export(tmp_path / "export", {"ward-7/2024-03-07.json": day}, users)
    options = ImportOptions(workspace="T0OPT") if where == "option" else ImportOptions()
    import_path(db, export, options)
    with db.session() as s:
        assert {e.workspace for e in s.scalars(select(Event))} == {
            {"users": "T0CHI", "messages": "T0MSG", "option": "T0OPT"}[where]
        }
