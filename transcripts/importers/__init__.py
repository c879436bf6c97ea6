"""Importers, chosen by what a file contains rather than what it is called.

A file is opened once and read once: its first bytes (and, for a zip, its end) say what it is, and the
same open handle is then parsed. An X JSON Lines file is stored as it is read, in batches
(`x_stream`), so memory stays flat however long the file; the other formats (a WeCommunities page, a
Slack export, a single X JSON document) are parsed whole, then stored. Either way one file is stored
in one transaction, so bad input leaves the database exactly as it was. Only regular files (and, for
a Slack export, a folder) are read: a device such as /dev/zero is refused, not read forever.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.gc_pause import gc_paused
from transcripts.importers import slack_export, wecommunities, x_json, x_stream
from transcripts.importers.base import ImportedEvent, ImportOptions, check_imported, save_imported

__all__ = ["ImportOptions", "ImportedEvent", "import_file", "import_path", "parse_path"]

Progress = Callable[[int, int], None]  # (bytes read, bytes in the file)
_HEAD = 4096  # enough to see how a text file starts
_X_BUFFER = 1 << 20


def _kind(path: Path) -> str:
    """A "folder" or a "file", or RecordError for what is neither (a device, a pipe) or is not there."""
    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except OSError as exc:  # a symlink loop, a name too long
        raise RecordError(str(path), exc.strerror or "cannot be read") from None
    if not exists:
        raise RecordError(str(path), "no such file")
    if not (is_dir or is_file):
        raise RecordError(str(path), "not a regular file or folder")
    if is_dir and not slack_export.looks_like(path):
        raise RecordError(str(path), "a folder that is not a Slack export (no channels.json and users.json)")
    return "folder" if is_dir else "file"


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; errors opening it are named
    except OSError as exc:
        raise RecordError(str(path), exc.strerror or "cannot be read") from None
    with handle:
        try:
            yield handle
        except OSError as exc:
            raise RecordError(str(path), exc.strerror or "cannot be read") from None


def _sniff(handle: IO[bytes], where: str) -> str:
    """What an open file holds: "zip" (a Slack export), "x" (X API JSON or JSONL) or "text" (a page)."""
    try:
        is_zip = zipfile.is_zipfile(handle)
    except OSError:
        is_zip = False
    handle.seek(0)
    if is_zip:
        return "zip"
    head = handle.read(_HEAD)
    while head.isspace() and len(head) % _HEAD == 0:  # whitespace so far: read on until something shows
        more = handle.read(_HEAD)
        if not more:
            break
        head += more
    handle.seek(0)
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start:
        raise RecordError(where, "file is empty")
    return "x" if start[:1] in (b"{", b"[") else "text"


def _read_text(handle: IO[bytes], where: str) -> str:
    try:
        return handle.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(where, f"not UTF-8 text (byte {exc.start})") from None


def _parse_text(text: str, where: str, options: ImportOptions) -> ImportedEvent:
    if wecommunities.looks_like(text):
        return wecommunities.parse(text, where, options)
    raise RecordError(
        where,
        "not a format huddlebot knows (a WeCommunities chat page, X API v2 JSON/JSONL or a Slack export zip or folder)",
    )


def _parse_open(path: Path, handle: IO[bytes], kind: str, options: ImportOptions) -> list[ImportedEvent]:
    where = str(path)
    if kind == "zip":
        return slack_export.parse(path, options, handle=handle)
    if kind == "x":
        return [x_json.parse_stream(handle, where, options)]
    return [_parse_text(_read_text(handle, where), where, options)]


def parse_path(path: Path, options: ImportOptions | None = None) -> list[ImportedEvent]:
    """Detect the format of `path` and parse it into events, checked for storing, writing nothing.

    Every post is held in memory: `import_file` stores a long X file without doing so.
    """
    options = options or ImportOptions()
    if _kind(path) == "folder":
        events = slack_export.parse(path, options)
    else:
        with _opened(path) as handle:
            events = _parse_open(path, handle, _sniff(handle, str(path)), options)
    for event in events:
        check_imported(event, str(path))
    return events


def _named(where: str, exc: RecordError) -> RecordError:
    """A refusal from the store (a NUL in a raw payload) naming the file too, unless it already does."""
    return exc if exc.where.startswith(where) else RecordError(f"{where}: {exc.where}", exc.reason)


def with_cohosts(events: list[ImportedEvent], cohosts: Sequence[str]) -> list[ImportedEvent]:
    """The chat's known supporters (handles), whose posts, like the host's, are not answers."""
    names = _handles(cohosts)
    for event in events:
        event.cohosts = names
    return events


def _handles(cohosts: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(h.strip().lstrip("@") for h in cohosts if h.strip().lstrip("@")))


def import_file(
    session: Session,
    path: Path,
    options: ImportOptions | None = None,
    *,
    cohosts: Sequence[str] = (),
    progress: Progress | None = None,
) -> tuple[list[tuple[int, int]], list[str]]:
    """Import one file in the caller's transaction, reading it once: ((event id, new messages) for each
    event in it, notes for the person). On RecordError the caller must roll back."""
    options = options or ImportOptions()
    where = str(path)
    with gc_paused():
        if _kind(path) == "folder":
            events = with_cohosts(slack_export.parse(path, options), cohosts)
            return _save_parsed(session, events, where), [n for e in events for n in e.notes]
        size = os.stat(path).st_size
        with _opened(path) as handle:
            kind = _sniff(handle, where)
            if kind == "x":
                told = (lambda read: progress(read, size)) if progress else None
                # The same open file read through a larger buffer: an X file's lines are tens of kilobytes,
                # each read a few thousand bytes at a time otherwise. (Only here: a zip is read in small
                # pieces between seeks, each of which would fill the whole buffer.)
                with open(handle.fileno(), "rb", buffering=_X_BUFFER, closefd=False) as lines:
                    lines.seek(handle.tell())
                    result, notes = x_stream.import_x(session, lines, where, options, _handles(cohosts), progress=told)
                return [result], notes
            events = with_cohosts(_parse_open(path, handle, kind, options), cohosts)
        results = _save_parsed(session, events, where)
        if progress:
            progress(size, size)
        return results, [n for e in events for n in e.notes]


def _save_parsed(session: Session, events: list[ImportedEvent], where: str) -> list[tuple[int, int]]:
    for event in events:
        check_imported(event, where)
    try:
        return [save_imported(session, event) for event in events]
    except RecordError as exc:
        raise _named(where, exc) from None


def import_path(
    db: Database, path: Path, options: ImportOptions | None = None, *, cohosts: Sequence[str] = ()
) -> list[tuple[int, int]]:
    """Import one file in one transaction; returns (event id, new messages) for each event in it."""
    with db.session() as session:
        results, _notes = import_file(session, path, options, cohosts=cohosts)
        return results
