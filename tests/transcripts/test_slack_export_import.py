"""A Slack workspace export (zip or folder) becomes one event per channel per day, threads and edits kept."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import import_path, parse_path
from transcripts.models import Event, MessageRow, Participant

USERS = [
    {"id": "U1", "team_id": "T1", "name": "sam", "profile": {"real_name": "Sam Ward", "title": "Charge nurse"}},
    {"id": "U2", "team_id": "T1", "name": "ali", "profile": {"real_name": "Ali Bay"}},
]
CHANNELS = [{"id": "C1", "name": "ward-7", "purpose": {"value": "Ward 7 huddles"}}]
DAY1 = [
    {"type": "message", "subtype": "channel_join", "user": "U2", "text": "<@U2> has joined", "ts": "1700000000.000050"},
    {
        "type": "message",
        "user": "U1",
        "text": "Huddle: any concerns?",
        "ts": "1700000000.000100",
        "thread_ts": "1700000000.000100",
        "reply_count": 2,
    },
    {
        "type": "message",
        "user": "U2",
        "text": "Bay 3 short of a hoist, see <https://x.example/a|log>",
        "ts": "1700000060.000200",
        "thread_ts": "1700000000.000100",
        "edited": {"user": "U2", "ts": "1700000090.000000"},
    },
]
DAY2 = [
    {"type": "message", "user": "U2", "text": "Morning all", "ts": "1700086400.000000"},
    {
        "type": "message",
        "user": "U1",
        "text": "<@U2> hoist fixed",
        "ts": "1700086500.000300",
        "thread_ts": "1700000000.000100",
    },
]


def _write(root: Path) -> Path:
    (root / "ward-7").mkdir(parents=True)
    (root / "users.json").write_text(json.dumps(USERS))
    (root / "channels.json").write_text(json.dumps(CHANNELS))
    (root / "ward-7" / "2023-11-14.json").write_text(json.dumps(DAY1))
    (root / "ward-7" / "2023-11-15.json").write_text(json.dumps(DAY2))
    return root


@pytest.mark.parametrize("as_zip", [False, True])
def test_export_becomes_events_with_threads_and_edits(db: Database, tmp_path: Path, as_zip: bool) -> None:
    path = _write(tmp_path / "export")
    if as_zip:
        path = Path(shutil.make_archive(str(tmp_path / "export"), "zip", path))
        assert zipfile.is_zipfile(path)
    first = import_path(db, path)
    assert [new for _, new in first] == [3, 1]  # the thread answered the next day stays on its first day
    assert [new for _, new in import_path(db, path)] == [0, 0]  # re-import stores nothing twice
    with db.session() as s:
        events = s.scalars(select(Event).order_by(Event.starts_at)).all()
        assert [(e.title, e.channel, e.topic) for e in events] == [
            ("#ward-7 2023-11-14", "C1", "Ward 7 huddles"),
            ("#ward-7 2023-11-15", "C1", "Ward 7 huddles"),
        ]
        rows = {r.platform_id: r for r in s.scalars(select(MessageRow))}
        assert set(rows) == {
            "C1:1700000000.000100", "C1:1700000060.000200", "C1:1700086500.000300", "C1:1700086400.000000"
        }  # fmt: skip
        assert {e.workspace for e in events} == {"T1"}
        reply = rows["C1:1700000060.000200"]
        assert reply.reply_to == "C1:1700000000.000100" and reply.thread == "1700000000.000100"
        assert reply.urls == ["https://x.example/a"] and reply.raw and reply.raw["edited"]["ts"] == "1700000090.000000"
        later = rows["C1:1700086500.000300"]
        assert later.thread == "1700000000.000100" and later.mentions == ["U2"]
        assert later.event_id == events[0].id and later.text == "@Ali Bay hoist fixed"
        assert rows["C1:1700000000.000100"].reply_to is None
        sam = s.scalars(select(Participant).where(Participant.platform_user_id == "U1")).one()
        assert (sam.handle, sam.name, sam.bio) == ("sam", "Sam Ward", "Charge nurse")
        assert rows["C1:1700000060.000200"].text == "Bay 3 short of a hoist, see log (https://x.example/a)"


def test_bad_day_file_is_named_and_nothing_is_stored(db: Database, tmp_path: Path) -> None:
    root = _write(tmp_path / "export")
    (root / "ward-7" / "2023-11-15.json").write_text('[{"ts": "1"},\n oops]')
    with pytest.raises(RecordError, match=r"ward-7/2023-11-15\.json:2: not valid JSON"):
        import_path(db, root)
    with db.session() as s:
        assert s.scalars(select(Event)).all() == []


def test_day_file_for_unknown_channel_is_refused(tmp_path: Path) -> None:
    root = _write(tmp_path / "export")
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "2023-11-14.json").write_text("[]")
    with pytest.raises(RecordError, match=r"'elsewhere' is not in channels\.json"):
        parse_path(root)
