"""Well-formed inputs of the three importers, and Hypothesis strategies that break them in known ways.

Each strategy yields a file (or an export folder) that must be refused: a field of the wrong type, a
date out of range, a corrupt archive, a symlink out of the export. The fuzz suite imports every one
through the CLI and checks the refusal is one line, exit 2, with the database untouched.
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from transcripts.samples import SEED_CHAT

# -- X API v2 -------------------------------------------------------------------------------------------

X_USERS = [
    {"id": "11", "username": "host", "name": "The Host", "description": "Nurse educator",
     "public_metrics": {"followers_count": 1200}},
    {"id": "12", "username": "ann", "name": "Ann", "public_metrics": {"followers_count": 30}},
]  # fmt: skip


def x_tweet(tid: str, author: str, text: str, minute: int, **extra: Any) -> dict[str, Any]:
    tweet = {"id": tid, "author_id": author, "text": text, "created_at": f"2024-05-01T19:{minute:02d}:00.000Z",
             "conversation_id": tid, "entities": {"hashtags": [{"tag": "WeFuzz"}]}}  # fmt: skip
    tweet.update(extra)
    return tweet


X_TWEETS = [
    x_tweet("900", "11", "Welcome to #WeFuzz", 0),
    x_tweet("901", "11", "Q1 what helps? #WeFuzz", 2),
    x_tweet("902", "12", "@host A1 time #WeFuzz", 4, referenced_tweets=[{"type": "replied_to", "id": "901"}],
            entities={"hashtags": [{"tag": "WeFuzz"}], "mentions": [{"username": "host"}],
                      "urls": [{"url": "https://t.co/a", "expanded_url": "https://example.org"}]}),
]  # fmt: skip


def x_page() -> dict[str, Any]:
    return {"data": copy.deepcopy(X_TWEETS), "includes": {"users": copy.deepcopy(X_USERS)}}


def _not(*allowed: type) -> st.SearchStrategy[Any]:
    """JSON values of any type but `allowed` (booleans are never ids or counts)."""
    values = st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(min_size=1, max_size=8),
        st.lists(st.integers(0, 9), max_size=3),
        st.dictionaries(st.sampled_from(["id", "a"]), st.integers(0, 9), max_size=2),
    )
    return values.filter(lambda v: isinstance(v, bool) or not isinstance(v, allowed))


_NOT_ID = _not(str, int)
_NOT_TEXT = _not(str)
_NOT_OBJECT = _not(dict)
_NOT_LIST = _not(list)
_NOT_COUNT = st.one_of(_not(int), st.integers(max_value=-1))

_YEARS_OUT = st.one_of(st.integers(1, 2005), st.integers(datetime.now(UTC).year + 2, 9999))


@st.composite
def bad_iso_times(draw: st.DrawFn) -> str:
    """An ISO time X would never send: out of range (with an offset), without a zone, or not a date."""
    kind = draw(st.sampled_from(["range", "future", "naive", "garbage"]))
    if kind == "range":
        year = draw(_YEARS_OUT)
        offset = draw(st.sampled_from(["Z", "+01:00", "-05:00", "+14:00"]))
        return f"{year:04d}-01-01T00:00:00{offset}"
    if kind == "future":
        return (datetime.now(UTC) + timedelta(days=draw(st.integers(2, 3000)))).isoformat()
    if kind == "naive":
        return "2024-05-01T19:00:00"
    return draw(st.sampled_from(["abc", "2024-13-45T00:00:00Z", "", "nan", "1e20", "2024-02-30T10:00:00Z"]))


# (path into the page, strategy of a replacement that must be refused). Index 1 is the reply tweet.
X_TARGETS: list[tuple[tuple[Any, ...], st.SearchStrategy[Any]]] = [
    (("includes",), _NOT_OBJECT.filter(lambda v: v is not None)),
    (("includes", "users"), _NOT_LIST),
    (("includes", "users", 0), _NOT_OBJECT),
    (("includes", "users", 0, "id"), _NOT_ID),
    (("includes", "users", 1, "username"), _NOT_TEXT),
    (("includes", "users", 0, "public_metrics"), _NOT_OBJECT),
    (("includes", "users", 0, "public_metrics", "followers_count"), _NOT_COUNT),
    (("data", 1), _NOT_OBJECT),
    (("data", 1, "id"), _NOT_ID),
    (("data", 2, "author_id"), _NOT_ID),
    (("data", 0, "created_at"), bad_iso_times()),
    (("data", 2, "text"), _NOT_TEXT),
    (("data", 2, "referenced_tweets"), _NOT_LIST),
    (("data", 2, "referenced_tweets", 0), _NOT_OBJECT),
    (("data", 2, "referenced_tweets", 0, "id"), _NOT_ID),
    (("data", 2, "entities"), _NOT_OBJECT),
    (("data", 2, "entities", "hashtags"), _NOT_LIST),
    (("data", 2, "entities", "hashtags", 0), _NOT_OBJECT),
    (("data", 2, "entities", "hashtags", 0, "tag"), _NOT_TEXT),
    (("data", 2, "entities", "mentions"), _NOT_LIST),
    (("data", 2, "entities", "mentions", 0, "username"), _NOT_TEXT),
    (("data", 2, "entities", "urls", 0), _NOT_OBJECT),
    (("data", 2, "conversation_id"), _not(str, int).filter(lambda v: v not in (None, ""))),
]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


DEEP = "__deep__"  # replaced in the JSON text by lists nested that deep (json.dumps cannot nest so far)


def deep_json(text: str, depth: int) -> str:
    return text.replace(f'"{DEEP}"', "[" * depth + "1" + "]" * depth)


@st.composite
def bad_x_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, content): an X API v2 page or twarc2 JSONL file with one defect."""
    page = x_page()
    kind = draw(st.sampled_from(["type", "type", "type", "deep", "nul", "long_id", "long_tag", "truncated", "huge"]))
    if kind == "type":
        path, values = draw(st.sampled_from(X_TARGETS))
        _set(page, path, draw(values))
    elif kind == "deep":
        _set(page, ("data", 1, "extra"), DEEP)
    elif kind == "nul":
        _set(page, ("data", 2, "text"), "A1 \x00 time")
    elif kind == "long_id":
        _set(page, ("data", 1, "id"), "9" * draw(st.integers(201, 10_000)))
    elif kind == "long_tag":
        tag = "a" * draw(st.integers(101, 500))
        for tweet in page["data"]:
            tweet["entities"]["hashtags"] = [{"tag": tag}]
    depth = draw(st.integers(255, 1000))  # past what the record can serialise (orjson stops at 254)
    text = deep_json(json.dumps(page), depth)
    if kind == "truncated":
        text = text[: draw(st.integers(1, len(text) - 1))]
    elif kind == "huge":
        text = text.replace('"followers_count": 1200', '"followers_count": 1' + "0" * 5000)
    if draw(st.booleans()) and kind not in ("truncated", "huge"):
        # the same page as twarc2 JSONL: one page per line (the defect is in one of them)
        lines = [deep_json(json.dumps({"data": [t], "includes": page["includes"]}), depth) for t in page["data"]]
        return "fuzz.jsonl", ("\n".join(lines) + "\n").encode()
    return "fuzz.json", text.encode()


# -- Slack export ---------------------------------------------------------------------------------------

SLACK_USERS = [
    {"id": "U1", "team_id": "T9", "name": "sam", "profile": {"display_name": "Sam", "real_name": "Sam Ward"}},
    {"id": "U2", "team_id": "T9", "name": "ali", "profile": {"real_name": "Ali Bay"}},
]
SLACK_CHANNELS = [{"id": "C1", "name": "ward", "purpose": {"value": "Ward huddles"}}]
SLACK_DAY = [
    {"type": "message", "user": "U1", "text": "Any concerns <@U2>?", "ts": "1714590000.000100",
     "thread_ts": "1714590000.000100"},
    {"type": "message", "user": "U2", "text": "Bay 3 hoist :warning:", "ts": "1714590060.000200",
     "thread_ts": "1714590000.000100"},
]  # fmt: skip


def slack_files() -> dict[str, Any]:
    return {
        "users.json": copy.deepcopy(SLACK_USERS),
        "channels.json": copy.deepcopy(SLACK_CHANNELS),
        "ward/2024-05-01.json": copy.deepcopy(SLACK_DAY),
    }


SLACK_TARGETS: list[tuple[str, tuple[Any, ...], st.SearchStrategy[Any]]] = [
    ("users.json", (), _NOT_LIST),
    ("users.json", (0,), _NOT_OBJECT),
    ("users.json", (0, "id"), _not(str)),
    ("users.json", (1, "name"), _NOT_TEXT.filter(lambda v: v not in (None, ""))),
    ("users.json", (0, "profile"), _NOT_OBJECT.filter(lambda v: v not in (None, "", 0, False, [], {}))),
    ("users.json", (0, "profile", "display_name"), _NOT_TEXT.filter(lambda v: v not in (None, ""))),
    ("channels.json", (), _NOT_LIST),
    ("channels.json", (0,), _NOT_OBJECT),
    ("channels.json", (0, "id"), _not(str)),
    ("channels.json", (0, "purpose"), _NOT_OBJECT.filter(lambda v: v is not None)),
    ("ward/2024-05-01.json", (), _NOT_LIST),
    ("ward/2024-05-01.json", (1,), _NOT_OBJECT),
    ("ward/2024-05-01.json", (1, "ts"), st.one_of(
        st.sampled_from(["abc", "nan", "1e20", "", "-1", "inf", "100.5", "9999999999.0", "1714590060.5.5"]),
        _not(str, int), st.integers(0, 1136073599))),
    ("ward/2024-05-01.json", (1, "thread_ts"), st.sampled_from(["abc", "nan", "1e20", "12.5", "[1]"])),
    ("ward/2024-05-01.json", (1, "text"), _NOT_TEXT.filter(lambda v: v not in (None, ""))),
    ("ward/2024-05-01.json", (1, "user"), _NOT_TEXT.filter(lambda v: v not in (None, ""))),
    ("ward/2024-05-01.json", (1, "subtype"), _NOT_TEXT.filter(lambda v: v not in (None, ""))),
]  # fmt: skip


@dataclass(frozen=True)
class SlackExport:
    """An export to write: its JSON files, raw file overrides, symlinks, and whether it is zipped."""

    files: dict[str, bytes]
    as_zip: bool
    links: tuple[tuple[str, str], ...] = ()  # (name inside the export, target)
    zip_damage: tuple[str, int, int] | None = None  # (how, where, how much)

    def write(self, root: Path) -> Path:
        folder = root / "export"
        for name, data in self.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        for name, target in self.links:
            link = folder / name
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.exists() or link.is_symlink():
                if link.is_dir() and not link.is_symlink():
                    shutil.rmtree(link)
                else:
                    link.unlink()
            os.symlink(target.replace("{root}", str(root)), link)
        if not self.as_zip:
            return folder
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(self.files.items()):
                archive.writestr(name, data)
        data = bytearray(buffer.getvalue())
        if self.zip_damage:
            data = _damage(data, *self.zip_damage)
        path = root / "export.zip"
        path.write_bytes(bytes(data))
        return path


def _member_data_ranges(data: bytes) -> list[tuple[int, int]]:
    """Where each member's compressed bytes lie in the archive."""
    ranges = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            start = info.header_offset
            name_len = int.from_bytes(data[start + 26 : start + 28], "little")
            extra_len = int.from_bytes(data[start + 28 : start + 30], "little")
            begin = start + 30 + name_len + extra_len
            ranges.append((begin, begin + info.compress_size))
    return ranges


def _damage(data: bytearray, how: str, where: int, size: int) -> bytearray:
    if how == "truncate":
        return data[: where % len(data)]
    if how == "encrypt":  # the "encrypted" flag bit, in every local and central header
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            while at != -1:
                data[at + offset] |= 0x1
                at = data.find(signature, at + 4)
        return data
    ranges = _member_data_ranges(bytes(data))
    begin, end = ranges[where % len(ranges)]
    start = begin + (where // len(ranges)) % max(end - begin, 1)
    for i in range(start, min(start + size, end)):
        data[i] ^= 0xFF
    return data


_LINK_TARGETS = ["/dev/zero", "/etc/passwd", "{root}/outside.json", "{root}/missing.json", "loop"]


@st.composite
def bad_slack_exports(draw: st.DrawFn) -> SlackExport:
    files = slack_files()
    as_zip = draw(st.booleans())
    kind = draw(st.sampled_from(["type", "type", "type", "day_name", "no_team", "deep", "nul", "json", "zip", "link"]))
    if kind == "zip":
        as_zip = True
    if kind == "link":
        as_zip = False
    raw: dict[str, bytes] = {}
    links: tuple[tuple[str, str], ...] = ()
    damage = None
    if kind == "type":
        name, path, values = draw(st.sampled_from(SLACK_TARGETS))
        value = draw(values)
        if path:
            _set(files[name], path, value)
        else:
            files[name] = value
    elif kind == "day_name":
        bad = draw(st.sampled_from(["2024-13-45", "2024-02-30", "0000-01-01", "2024-00-10", "9999-99-99"]))
        files[f"ward/{bad}.json"] = files.pop("ward/2024-05-01.json")
    elif kind == "no_team":
        for user in files["users.json"]:
            del user["team_id"]
    elif kind == "deep":
        files["ward/2024-05-01.json"][1]["blocks"] = DEEP
    elif kind == "nul":
        files["ward/2024-05-01.json"][1]["text"] = "Bay \x00 3"
    elif kind == "json":
        name = draw(st.sampled_from(sorted(files)))
        text = json.dumps(files[name])
        raw[name] = text[: draw(st.integers(0, len(text) - 1))].encode()
    elif kind == "zip":
        how = draw(st.sampled_from(["truncate", "flip", "encrypt"]))
        damage = (how, draw(st.integers(1, 10_000)), draw(st.integers(1, 64)))
    else:
        name = draw(st.sampled_from(["users.json", "channels.json", "ward/2024-05-01.json", "ward"]))
        target = draw(st.sampled_from(_LINK_TARGETS))
        links = ((name, name if target == "loop" else target),)
    depth = draw(st.integers(255, 1000))  # past what the record can serialise (orjson stops at 254)
    encoded = {name: raw.get(name, deep_json(json.dumps(value), depth).encode()) for name, value in files.items()}
    return SlackExport(encoded, as_zip, links, damage)


# -- WeCommunities page ---------------------------------------------------------------------------------

SEED_TEXT = SEED_CHAT.read_text(encoding="utf-8")


@st.composite
def bad_pages(draw: st.DrawFn) -> tuple[str, bytes]:
    text = SEED_TEXT
    kind = draw(st.sampled_from(["zone", "title_year", "entry_year", "entry_date", "footer_huge", "footer_count",
                                 "truncate", "nul", "no_transcript"]))  # fmt: skip
    if kind == "zone":
        zone = draw(st.sampled_from(["Europe", "America", "Mars/Olympus", "../../etc/passwd", "Etc", "posix",
                                     "GMT Standard Times", "Europe/", "Europe//London"]))  # fmt: skip
        text = text.replace("(GMT Standard Time)", f"({zone})", 1)
    elif kind == "title_year":
        text = text.replace("February 2020 8pm", f"February {draw(_YEARS_OUT):04d} 8pm", 1)
    elif kind == "entry_year":
        text = _replace_entry_date(text, draw(st.integers(0, 170)), f"25 February {draw(_YEARS_OUT):04d} 20:03")
    elif kind == "entry_date":
        n = draw(st.integers(0, 170))
        bad = draw(st.sampled_from(["30 February 2020 20:03", "25 Febtober 2020 20:03", "25 February 2020 25:03"]))
        text = _replace_entry_date(text, n, bad)
    elif kind == "footer_huge":
        text = text.replace("Total tweets: 171", "Total tweets: 1" + "7" * draw(st.integers(16, 5000)))
    elif kind == "footer_count":
        text = text.replace("Total tweets: 171", f"Total tweets: {draw(st.integers(172, 10**6))}")
    elif kind == "truncate":
        lines = text.split("\n")
        text = "\n".join(lines[: draw(st.integers(90, 600))])
    elif kind == "nul":
        text = _replace_entry_text(text, draw(st.integers(0, 170)), "\x00")
    else:
        text = text.replace("#WeHCMs transcript", "#WeHCMs transcripts")
    return "page.txt", text.encode()


def _entry_date_lines(text: str) -> list[int]:
    lines = text.split("\n")
    return [
        i for i, line in enumerate(lines) if line.strip().startswith(tuple(f"{d} February 2020" for d in range(1, 30)))
    ]


def _replace_entry_date(text: str, n: int, bad: str) -> str:
    lines = text.split("\n")
    dated = _entry_date_lines(text)
    lines[dated[n % len(dated)]] = bad
    return "\n".join(lines)


def _replace_entry_text(text: str, n: int, insert: str) -> str:
    lines = text.split("\n")
    dated = _entry_date_lines(text)
    at = dated[n % len(dated)] + 1
    lines[at] = lines[at] + insert
    return "\n".join(lines)
