"""Importers, chosen by what a file contains rather than what it is called.

Each importer parses the whole input before anything is written, and `save_events` saves a file's
events in one transaction, so bad input leaves the database exactly as it was. Only regular files
(and, for a Slack export, a folder) are read: a device such as /dev/zero is refused, not read forever.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import slack_export, wecommunities, x_json
from transcripts.importers.base import ImportedEvent, ImportOptions, check_imported, save_imported

__all__ = ["ImportOptions", "ImportedEvent", "import_path", "parse_path", "save_events"]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise RecordError(str(path), exc.strerror or "cannot be read") from None


def parse_path(path: Path, options: ImportOptions | None = None) -> list[ImportedEvent]:
    """Detect the format of `path` and parse it into events, checked for storing, writing nothing."""
    options = options or ImportOptions()
    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except OSError as exc:  # a symlink loop, a name too long
        raise RecordError(str(path), exc.strerror or "cannot be read") from None
    if not exists:
        raise RecordError(str(path), "no such file")
    if not (is_dir or is_file):
        raise RecordError(str(path), "not a regular file or folder")
    if slack_export.looks_like(path):
        events = slack_export.parse(path, options)
    elif is_dir:
        raise RecordError(str(path), "a folder that is not a Slack export (no channels.json and users.json)")
    else:
        events = [_parse_text(path, options)]
    for event in events:
        check_imported(event, str(path))
    return events


def _parse_text(path: Path, options: ImportOptions) -> ImportedEvent:
    text = read_text(path)
    if not text or text.isspace():  # not text.strip(): that would copy a large file only to test it
        raise RecordError(str(path), "file is empty")
    if wecommunities.looks_like(text):
        return wecommunities.parse(text, str(path), options)
    if x_json.looks_like(text):
        return x_json.parse(text, str(path), options)
    raise RecordError(
        str(path),
        "not a format huddlebot knows (a WeCommunities chat page, X API v2 JSON/JSONL or a Slack export zip or folder)",
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic objects: it rescans them all, for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def save_events(db: Database, events: list[ImportedEvent], where: str) -> list[tuple[int, int]]:
    """Save one file's (`where`) parsed events in one transaction; (event id, new messages) for each."""
    try:
        with _gc_paused(), db.session() as session:
            return [save_imported(session, event) for event in events]
    except RecordError as exc:  # a value only the store checks (a NUL in a raw payload): name the file too
        raise RecordError(f"{where}: {exc.where}", exc.reason) from None


def with_cohosts(events: list[ImportedEvent], cohosts: Sequence[str]) -> list[ImportedEvent]:
    """The chat's known supporters (handles), whose posts, like the host's, are not answers."""
    names = list(dict.fromkeys(h.strip().lstrip("@") for h in cohosts if h.strip().lstrip("@")))
    for event in events:
        event.cohosts = names
    return events


def import_path(
    db: Database, path: Path, options: ImportOptions | None = None, *, cohosts: Sequence[str] = ()
) -> list[tuple[int, int]]:
    """Import one file in one transaction; returns (event id, new messages) for each event in it."""
    with _gc_paused():
        events = with_cohosts(parse_path(path, options), cohosts)
    return save_events(db, events, str(path))
