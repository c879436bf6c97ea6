"""Every bad input issue 13 lists, each refused with one line naming the file and field, nothing stored.

The fuzz suite (tests/bot/commands/test_import_fuzz.py) draws many variants of these; here each kind
has an explicit case, on every database backend where storing is involved.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.transcripts.bad_inputs import DEEP, SEED_TEXT, SLACK_DAY, SlackExport, deep_json, slack_files, x_page
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import import_path, parse_path
from transcripts.models import Event, MessageRow, Participant


def _x(tmp_path: Path, page: Any, name: str = "x.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(page) if not isinstance(page, str) else page, encoding="utf-8")
    return path


def _refused(path: Path, *expected: str) -> str:
    with pytest.raises(RecordError) as err:
        parse_path(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path)), message
    for part in expected:
        assert part in message, message
    return message


def _set(page: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc: Any = page
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        doc = doc[key]
    doc[keys[-1]] = value
    return page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("includes", "users"),
        ("includes", 7),
        ("includes.users", "host,ann"),
        ("includes.users", 3),
        ("includes.users.0.public_metrics", [1200]),
        ("includes.users.0.public_metrics", "many"),
        ("data.2.referenced_tweets", "replied_to"),
        ("data.2.referenced_tweets", 901),
        ("data.2.entities", 5),
        ("data.2.entities", ["hashtags"]),
        ("data.2.entities.hashtags", "WeFuzz"),
        ("data.2.entities.hashtags", 1),
    ],
)
def test_x_objects_of_the_wrong_type_are_refused_naming_the_field(tmp_path: Path, field: str, value: Any) -> None:
    _refused(_x(tmp_path, _set(x_page(), field, value)), field.replace(".0.", "[0].").replace(".2.", "[2]."))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("data.1.id", {"id": "901"}),
        ("data.1.author_id", {"$gt": ""}),
        ("data.1.id", [9, 0, 1]),
        ("data.1.author_id", True),
        ("includes.users.0.id", [1, 2]),
        ("includes.users.0.id", False),
        ("includes.users.1.username", ["ann"]),
        ("includes.users.1.username", True),
        ("data.2.referenced_tweets.0.id", {"id": 1}),
        ("data.2.conversation_id", [1]),
    ],
)
def test_ids_and_usernames_as_objects_lists_or_booleans_are_refused(
    db: Database, tmp_path: Path, field: str, value: Any
) -> None:
    path = _x(tmp_path, _set(x_page(), field, value))
    with pytest.raises(RecordError) as err:
        import_path(db, path)
    shown = field.replace(".0.", "[0].").replace(".1.", "[1].").replace(".2.", "[2].")
    assert shown in str(err.value) and "\n" not in str(err.value)
    assert "INSERT" not in str(err.value)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 0


@pytest.mark.parametrize(
    ("created_at", "why"),
    [
        ("0001-01-01T00:00:00+01:00", "before 2006"),
        ("9999-12-31T23:59:59-05:00", "more than a day in the future"),
        ("2005-12-31T23:59:59Z", "before 2006"),
        pytest.param(
            (datetime.now(UTC) + timedelta(days=2)).isoformat(), "more than a day in the future", id="two-days-ahead"
        ),
    ],
)
def test_x_times_outside_2006_to_tomorrow_are_refused(tmp_path: Path, created_at: str, why: str) -> None:
    _refused(_x(tmp_path, _set(x_page(), "data.1.created_at", created_at)), "data[1].created_at", why)


def test_a_post_a_few_hours_ahead_is_plausible(tmp_path: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
    (event,) = parse_path(_x(tmp_path, _set(x_page(), "data.2.created_at", soon)))
    assert len(event.messages) == 3


@pytest.mark.parametrize(("year", "why"), [("0001", "before 2006"), ("9999", "in the future")])
def test_chat_page_dates_out_of_range_are_refused(tmp_path: Path, year: str, why: str) -> None:
    title = _x(tmp_path, SEED_TEXT.replace("February 2020 8pm", f"February {year} 8pm", 1), "title.txt")
    _refused(title, "title.txt:1", why)
    entry = SEED_TEXT.replace("\n25 February 2020 20:03", f"\n25 February {year} 20:03", 1)
    _refused(_x(tmp_path, entry, "entry.txt"), "entry.txt:", why)


def test_a_zone_that_is_a_folder_of_the_zone_database_is_unknown(tmp_path: Path) -> None:
    page = SEED_TEXT.replace("(GMT Standard Time)", "(Europe)", 1)
    _refused(_x(tmp_path, page, "page.txt"), "page.txt:1", "unknown time zone 'Europe'")


def test_a_5000_digit_footer_figure_is_refused_naming_its_line(tmp_path: Path) -> None:
    page = SEED_TEXT.replace("Total reach: 453,257", "Total reach: " + "9" * 5000)
    _refused(_x(tmp_path, page, "page.txt"), "page.txt:611", "is not a count")


def test_json_nested_1000_deep_is_refused(tmp_path: Path) -> None:
    _refused(_x(tmp_path, deep_json(json.dumps(_set(x_page(), "data.1.extra", DEEP)), 1000)), "nested")
    _refused(_x(tmp_path, "[" * 1000 + "]" * 1000, "deep.json"), "nested")
    day = deep_json(json.dumps([{**SLACK_DAY[0], "blocks": DEEP}]), 1000)
    export = SlackExport({**_slack_bytes(), "ward/2024-05-01.json": day.encode()}, as_zip=False)
    _refused(export.write(tmp_path), "post 'C1:1714590000.000100'", "nested")


def test_a_raw_line_separator_inside_a_jsonl_string_is_text(tmp_path: Path) -> None:
    page = x_page()
    lines = [json.dumps({"data": [t], "includes": page["includes"]}, ensure_ascii=False) for t in page["data"]]
    lines[1] = lines[1].replace("Q1 what helps?", "Q1 what\u2028helps?")
    assert "\u2028" in lines[1]
    (event,) = parse_path(_x(tmp_path, "\n".join(lines) + "\n", "twarc.jsonl"))
    assert any("\u2028" in m.text for m in event.messages) and len(event.messages) == 3


# -- Slack exports --------------------------------------------------------------------------------------


def _slack_bytes(**changes: Any) -> dict[str, bytes]:
    files = slack_files()
    files.update(changes)
    return {name: json.dumps(value).encode() for name, value in files.items()}


@pytest.mark.parametrize("ts", ["abc", "nan", "1e20", "inf", "-5", "100.000000"])
def test_slack_timestamps_that_are_not_instants_are_refused(tmp_path: Path, ts: str) -> None:
    day = [SLACK_DAY[0], {**SLACK_DAY[1], "ts": ts}]
    export = SlackExport(_slack_bytes(**{"ward/2024-05-01.json": day}), as_zip=False).write(tmp_path)
    _refused(export, "ward/2024-05-01.json: [1]", "ts")


@pytest.mark.parametrize("name", ["2024-13-45", "2024-02-30"])
def test_a_day_file_that_is_not_a_date_is_refused(tmp_path: Path, name: str) -> None:
    files = _slack_bytes()
    files[f"ward/{name}.json"] = files.pop("ward/2024-05-01.json")
    _refused(SlackExport(files, as_zip=False).write(tmp_path), f"ward/{name}.json", "is not a date")


def _zip(files: dict[str, bytes]) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return bytearray(buffer.getvalue())


def _corruptions() -> list[tuple[str, bytes]]:
    good = _zip(_slack_bytes())
    cases = [("truncated-end", bytes(good[:-10])), ("truncated-middle", bytes(good[: len(good) // 2]))]
    with zipfile.ZipFile(io.BytesIO(bytes(good))) as archive:
        infos = archive.infolist()
    central = [i for i in range(len(good)) if good[i : i + 4] == b"PK\x01\x02"]
    for info, directory in zip(infos, central, strict=True):
        start = info.header_offset
        name_len = int.from_bytes(good[start + 26 : start + 28], "little")
        body = start + 30 + name_len
        flipped = bytearray(good)
        for i in range(body, body + min(8, info.compress_size)):
            flipped[i] ^= 0xFF
        cases.append((f"data-{info.filename}", bytes(flipped)))
        method = bytearray(good)
        method[directory + 10] = 99  # an unknown compression method
        cases.append((f"method-{info.filename}", bytes(method)))
        renamed = bytearray(good)
        renamed[start + 30] ^= 0x20  # the local header's name no longer matches the directory's
        cases.append((f"name-{info.filename}", bytes(renamed)))
    encrypted = bytearray(good)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = encrypted.find(signature)
        while at != -1:
            encrypted[at + offset] |= 0x1
            at = encrypted.find(signature, at + 4)
    cases.append(("encrypted", bytes(encrypted)))
    return cases


@pytest.mark.parametrize(("kind", "data"), _corruptions(), ids=[kind for kind, _ in _corruptions()])
def test_corrupt_and_encrypted_zips_are_refused(tmp_path: Path, kind: str, data: bytes) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    with pytest.raises(RecordError) as err:
        parse_path(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    if kind == "encrypted":
        assert "encrypted" in str(err.value)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _slack_bytes().items():
            archive.writestr(name, data)
        with archive.open("ward/2024-05-02.json", "w") as member:
            member.write(b"[" + b" " * (1 << 20))
            chunk = b" " * (1 << 22)
            for _ in range(50):  # 200 MB of spaces, about 200 kB compressed
                member.write(chunk)
            member.write(b"]")
    assert path.stat().st_size < 2_000_000
    _refused(path, "ward/2024-05-02.json", "zip bomb")


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("ward/2024-05-01.json", "/dev/zero"),
        ("users.json", "/etc/passwd"),
        ("channels.json", "{root}/outside.json"),
        ("ward/2024-05-01.json", "{root}/missing.json"),
        ("ward/2024-05-01.json", "ward/2024-05-01.json"),  # a link to itself: a loop
        ("ward", "{root}/elsewhere"),
    ],
)
def test_symlinks_are_not_followed_out_of_an_export_folder(tmp_path: Path, name: str, target: str) -> None:
    (tmp_path / "outside.json").write_text(json.dumps(slack_files()["channels.json"]))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "2024-05-01.json").write_text(json.dumps(SLACK_DAY))
    export = SlackExport(_slack_bytes(), as_zip=False, links=((name, target),)).write(tmp_path)
    assert os.path.islink(export / name)
    _refused(export, name, "only regular files inside the export are read")


def test_a_device_given_as_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="/dev/zero: not a regular file or folder"):
        parse_path(Path("/dev/zero"))


# -- the same answer on SQLite and PostgreSQL ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: _set(p, "data.2.text", "A1 time \x00"), "text: contains a NUL character"),
        (lambda p: _set(p, "includes.users.1.name", "Ann\x00"), "author name: contains a NUL character"),
        (lambda p: _set(p, "data.1.id", "9" * 10_000), "id: 10000 characters, more than 200"),
        (lambda p: _set(p, "data.2.extra", {"note": "\x00"}), "raw payload: contains a NUL character"),
        (lambda p: [t.update(entities={"hashtags": [{"tag": "h" * 500}]}) for t in p["data"]] and p,
         "hashtag: 501 characters, more than 100"),
    ],
)  # fmt: skip
def test_values_a_column_cannot_hold_are_refused_alike_on_every_backend(
    db: Database, tmp_path: Path, change: Any, expected: str
) -> None:
    path = _x(tmp_path, change(x_page()))
    with pytest.raises(RecordError) as err:
        import_path(db, path)
    assert expected in str(err.value) and str(err.value).startswith(str(path)), str(err.value)
    with db.session() as s:
        for model in (Event, MessageRow, Participant):
            assert s.scalar(select(func.count()).select_from(model)) == 0
