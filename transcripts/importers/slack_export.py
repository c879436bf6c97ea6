"""Slack workspace exports (a zip, or the folder it unpacks to) as events: one per channel per local day.

The export holds `channels.json`, `users.json` and `<channel name>/<YYYY-MM-DD>.json`. Each day file
is a day in the workspace's own time zone while every `ts` is an exact instant, so events are built
from the instants in that zone (`--timezone`, or the zone that fits every day file's boundaries,
said so). A thread belongs to the day its first message was posted, so a thread that runs past
midnight stays one conversation. Platform ids are `channel:ts`, as in live capture, so importing a
channel the bot also watched stores each post once.

Only conversation is kept: channel joins and other system lines, deleted-message placeholders,
bots, and file shares without a comment are not posts, contributors or answers. Text is rendered as
Slack shows it (`transcripts.slack_markup`). An export belongs to its workspace (the team id in the
export, or `--workspace`), so it is never a public chat.

Exports come from outside, so reading is defensive: only regular files inside the export are read
(no symlinks, devices or loops), a zip is refused when it is corrupt or encrypted, and its declared
sizes are capped before anything is decompressed, so a zip bomb costs nothing.
"""

from __future__ import annotations

import lzma
import os
import re
import stat
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, available_timezones

import orjson

from transcripts.errors import RecordError
from transcripts.importers.base import ImportedEvent, ImportOptions
from transcripts.input_checks import plausible_time
from transcripts.message import Author, Message
from transcripts.slack_payload import PLATFORM, is_conversation, slack_message, ts_time

MAX_EXPORT_BYTES = 512 * 1024 * 1024  # the JSON of an export, uncompressed: far above a busy workspace's year
MAX_RATIO = 100  # JSON deflates 5-20x; a member claiming far more is a bomb
RATIO_FLOOR = 1024 * 1024  # small members may compress extremely well without harm
_DAY_FILE = re.compile(r"^(?P<channel>[^/]+)/(?P<day>[^/]+)\.json$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS = re.compile(r"^\d{1,12}(?:\.\d{1,9})?$")
_TEAM = re.compile(r"^[A-Z][A-Z0-9]{1,63}$")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError,
               RuntimeError, ValueError, KeyError, struct.error)  # fmt: skip
PREFERRED_ZONES = (
    "UTC", "Europe/London", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Halifax", "America/Sao_Paulo",
    "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Athens",
    "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow", "Africa/Lagos", "Africa/Johannesburg",
    "Africa/Nairobi", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Australia/Perth", "Australia/Adelaide",
    "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip


def looks_like(path: Path) -> bool:
    """A folder with channels.json and users.json, or any zip (only Slack exports come as zips)."""
    if path.is_dir():
        return os.path.lexists(path / "channels.json") and os.path.lexists(path / "users.json")
    try:
        return path.is_file() and zipfile.is_zipfile(path)
    except OSError:
        return False


def _refuse_link(where: str) -> RecordError:
    return RecordError(where, "is a symbolic link or not a regular file: only regular files inside the export are read")


def _folder_files(root: Path) -> Iterator[tuple[str, bytes]]:
    """The export folder's JSON files, read only when they are regular files inside it."""
    total = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                raise _refuse_link(str(here / name))
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(".json"):
                continue
            file = here / name
            info = file.lstat()
            if not stat.S_ISREG(info.st_mode):
                raise _refuse_link(str(file))
            total += info.st_size
            if total > MAX_EXPORT_BYTES:
                raise RecordError(str(root), f"export holds more than {MAX_EXPORT_BYTES // 2**20} MB of JSON")
            try:
                with open(file, "rb", opener=_no_follow) as handle:
                    data = handle.read(info.st_size + 1)
            except OSError as exc:
                raise RecordError(str(file), exc.strerror or "cannot be read") from None
            if len(data) > info.st_size:
                raise RecordError(str(file), "changed size while being read")
            yield file.relative_to(root).as_posix(), data


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def _zip_files(path: Path, handle: IO[bytes] | None = None) -> Iterator[tuple[str, bytes]]:
    """The zip's JSON members, after checking the archive's declared sizes: nothing is inflated blind.
    `handle`, when given, is `path` already open: the file is not opened a second time."""
    with zipfile.ZipFile(handle if handle is not None else path) as archive:
        members = [info for info in archive.infolist() if info.filename.endswith(".json") and not info.is_dir()]
        total = 0
        for info in members:
            if info.flag_bits & 0x1:
                raise RecordError(
                    f"{path}/{info.filename}", "is encrypted; export the workspace again without a password"
                )
            total += info.file_size
            if total > MAX_EXPORT_BYTES:
                raise RecordError(str(path), f"expands to more than {MAX_EXPORT_BYTES // 2**20} MB of JSON")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise RecordError(
                    f"{path}/{info.filename}",
                    f"expands {info.file_size // max(info.compress_size, 1)}-fold: refused as a zip bomb",
                )
        for info in sorted(members, key=lambda i: i.filename):
            yield info.filename, archive.read(info)


def _files(path: Path, handle: IO[bytes] | None = None) -> dict[str, bytes]:
    if handle is None and path.is_dir():
        return dict(_folder_files(path))
    try:
        return dict(_zip_files(path, handle))
    except RecordError:
        raise
    except _ZIP_ERRORS as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise RecordError(str(path), f"not a readable zip ({reason})") from None


def _json(where: str, data: bytes) -> Any:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = "nested too deep" if "depth" in exc.msg else exc.msg
        raise RecordError(f"{where}:{exc.lineno}", f"not valid JSON ({reason})") from None
    return doc


def _ts(value: Any, where: str, field: str) -> tuple[str, datetime]:
    """A Slack `ts` ("1462492800.000002"), checked, with its instant."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not _TS.match(str(value)):
        raise RecordError(where, f"{field}: {str(value)[:40]!r} is not a Slack timestamp")
    text = str(value)
    return text, plausible_time(ts_time(text), where, field)


def _str(payload: dict[str, Any], key: str, where: str) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(where, f"{key}: expected text")
    return value


@dataclass(slots=True)
class _Workspace:
    authors: dict[str, Author]
    user_names: dict[str, str]
    channel_names: dict[str, str]
    channels_by_name: dict[str, dict[str, Any]]
    teams: Counter[str]


def _users(users: Any, where: str) -> tuple[dict[str, Author], dict[str, str], Counter[str]]:
    if not isinstance(users, list):
        raise RecordError(where, "users.json must be a JSON list")
    authors: dict[str, Author] = {}
    names: dict[str, str] = {}
    teams: Counter[str] = Counter()
    for i, user in enumerate(users):
        at = f"{where}: [{i}]"
        if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
            raise RecordError(at, "id: a user needs an id (text)")
        profile = user.get("profile") or {}
        if not isinstance(profile, dict):
            raise RecordError(at, "profile: expected an object")
        handle = _str(user, "name", at) or user["id"]
        shown = _str(profile, "display_name", at) or _str(profile, "real_name", at) or _str(user, "real_name", at)
        authors[user["id"]] = Author(
            platform=PLATFORM, id=user["id"], handle=handle, name=shown or handle, bio=_str(profile, "title", at)
        )
        names[user["id"]] = shown or handle
        team = user.get("team_id") or user.get("team")
        if isinstance(team, str) and team:
            teams[team] += 1
    return authors, names, teams


def _workspace(files: dict[str, bytes], source: str) -> _Workspace:
    for needed in ("channels.json", "users.json"):
        if needed not in files:
            raise RecordError(source, f"not a Slack export: no {needed}")
    channels = _json(f"{source}/channels.json", files["channels.json"])
    authors, names, teams = _users(_json(f"{source}/users.json", files["users.json"]), f"{source}/users.json")
    if not isinstance(channels, list):
        raise RecordError(f"{source}/channels.json", "channels.json must be a JSON list")
    by_name: dict[str, dict[str, Any]] = {}
    channel_names: dict[str, str] = {}
    for i, channel in enumerate(channels):
        at = f"{source}/channels.json: [{i}]"
        if not isinstance(channel, dict) or not isinstance(channel.get("id"), str) or not channel["id"]:
            raise RecordError(at, "id: a channel needs an id and a name (text)")
        if not isinstance(channel.get("name"), str) or not channel["name"]:
            raise RecordError(at, "name: a channel needs an id and a name (text)")
        purpose = channel.get("purpose")
        if purpose is not None and (not isinstance(purpose, dict) or not isinstance(purpose.get("value", ""), str)):
            raise RecordError(at, "purpose: expected an object with a text value")
        by_name[channel["name"]] = channel
        channel_names[channel["id"]] = channel["name"]
    return _Workspace(authors, names, channel_names, by_name, teams)


@dataclass(slots=True)
class _Day:
    """One day file: its channel, its date and every payload in it with its checked instant."""

    name: str
    channel: dict[str, Any]
    day: date
    payloads: list[tuple[dict[str, Any], str, datetime]]


def _days(files: dict[str, bytes], source: str, workspace: _Workspace) -> list[_Day]:
    days = []
    for name, data in files.items():
        m = _DAY_FILE.match(name)
        if not m:
            continue
        where = f"{source}/{name}"
        if not _DAY.match(m["day"]):
            continue  # a channel's other files (canvases, pins) are not day files
        try:
            day = date.fromisoformat(m["day"])
        except ValueError:
            raise RecordError(where, f"{m['day']!r} is not a date (a day file is named YYYY-MM-DD.json)") from None
        channel = workspace.channels_by_name.get(m["channel"])
        if channel is None:
            raise RecordError(where, f"channel {m['channel']!r} is not in channels.json")
        payloads = _json(where, data)
        if not isinstance(payloads, list):
            raise RecordError(where, "a day file must be a JSON list of messages")
        checked = []
        for i, payload in enumerate(payloads):
            at = f"{where}: [{i}]"
            if not isinstance(payload, dict) or "ts" not in payload:
                raise RecordError(at, "a message needs a ts")
            ts, moment = _ts(payload["ts"], at, "ts")
            for key in ("type", "subtype", "text", "user", "bot_id", "team", "user_team"):
                _str(payload, key, at)
            if payload.get("thread_ts") is not None:
                _ts(payload["thread_ts"], at, "thread_ts")
            if payload.get("subtype") == "file_comment" and payload.get("comment") is not None:
                comment = payload["comment"]
                if not isinstance(comment, dict):
                    raise RecordError(at, "comment: expected an object")
                _str(comment, "user", f"{at} comment")
                _str(comment, "comment", f"{at} comment")
            checked.append((payload, ts, moment))
        days.append(_Day(name, channel, day, checked))
    return days


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return None


def _fits(zone: ZoneInfo, bounds: list[tuple[date, datetime, datetime]]) -> bool:
    return all(first.astimezone(zone).date() == day == last.astimezone(zone).date() for day, first, last in bounds)


def _infer_zone(days: list[_Day], source: str, notes: list[str]) -> str:
    """The zone in which every day file holds only its own day's messages; UTC, then common zones first."""
    bounds = [(d.day, min(p[2] for p in d.payloads), max(p[2] for p in d.payloads)) for d in days if d.payloads]
    if not bounds:
        return "UTC"
    rest = sorted(z for z in available_timezones() if z not in PREFERRED_ZONES and "/" in z)
    for name in (*PREFERRED_ZONES, *rest):
        zone = _zone(name)
        if zone is not None and _fits(zone, bounds):
            notes.append(
                f"{source}: days read in {name}, the first zone that fits every day file's messages; "
                "give --timezone if the workspace is elsewhere"
            )
            return name
    notes.append(f"{source}: no time zone fits every day file; days read as UTC; give --timezone to choose")
    return "UTC"


def _choose_workspace(
    options: ImportOptions, workspace: _Workspace, days: list[_Day], source: str, notes: list[str]
) -> str:
    if options.workspace:
        if not _TEAM.match(options.workspace):
            raise RecordError("--workspace", f"{options.workspace[:40]!r} is not a Slack team id (like T012AB3CD)")
        return options.workspace
    teams = workspace.teams
    if not teams:
        for day in days:
            for payload, _, _ in day.payloads:
                team = payload.get("team") or payload.get("user_team")
                if isinstance(team, str) and team:
                    teams[team] += 1
    if not teams:
        raise RecordError(source, "no workspace (team id) in the export; give --workspace T… to say whose it is")
    ranked = teams.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        tied = ", ".join(t for t, n in ranked if n == ranked[0][1])
        raise RecordError(source, f"the export names several workspaces equally ({tied}); give --workspace")
    team = ranked[0][0]
    if not _TEAM.match(team):
        raise RecordError(f"{source}/users.json", f"team_id: {team[:40]!r} is not a Slack team id")
    if len(ranked) > 1:
        notes.append(f"{source}: the export belongs to workspace {team} (most of its people); --workspace overrides")
    return team


def parse(path: Path, options: ImportOptions | None = None, *, handle: IO[bytes] | None = None) -> list[ImportedEvent]:
    """The export's channels as one event per channel and day; `handle` is the zip at `path`, open."""
    options = options or ImportOptions()
    source = str(path)
    notes: list[str] = []
    files = _files(path, handle)
    workspace = _workspace(files, source)
    days = _days(files, source, workspace)
    team = _choose_workspace(options, workspace, days, source, notes)
    if options.timezone:
        if _zone(options.timezone) is None:
            raise RecordError("--timezone", f"{options.timezone[:40]!r} is not an IANA time zone like America/Chicago")
        zone_name = options.timezone
    else:
        zone_name = _infer_zone(days, source, notes)
    zone = ZoneInfo(zone_name)
    groups: dict[tuple[str, date], list[Message]] = {}
    channels: dict[str, dict[str, Any]] = {}
    for day in days:
        channel = day.channel
        channels[channel["id"]] = channel
        for payload, ts, moment in day.payloads:
            if not is_conversation(payload):
                continue
            root = payload.get("thread_ts") or ts
            root_day = (moment if root == ts else ts_time(str(root))).astimezone(zone).date()
            groups.setdefault((channel["id"], root_day), []).append(
                slack_message(
                    channel["id"],
                    payload,
                    ts=ts,
                    moment=moment,
                    authors=workspace.authors,
                    user_names=workspace.user_names,
                    channel_names=workspace.channel_names,
                )
            )
    events = []
    for (channel_id, day), messages in sorted(groups.items()):
        channel = channels[channel_id]
        messages.sort(key=lambda msg: (msg.created_at, msg.id))
        starts = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        events.append(
            ImportedEvent(
                kind="chat",
                title=options.title or f"#{channel['name']} {day.isoformat()}",
                starts_at=starts,
                ends_at=messages[-1].created_at,
                timezone=zone_name,
                source=f"{source}/{channel['name']}/{day.isoformat()}.json",
                platform=PLATFORM,
                channel=channel_id,
                topic=((channel.get("purpose") or {}).get("value") or None),
                workspace=team,
                messages=messages,
            )
        )
    if not events:
        raise RecordError(source, "a Slack export with no messages in any channel")
    events[0].notes.extend(notes)
    return events
