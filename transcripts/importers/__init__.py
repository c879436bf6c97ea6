"""Importers, chosen by what a file contains rather than what it is called.

Each importer parses the whole input before anything is written, and `import_path` saves it in one
transaction, so bad input leaves the database exactly as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import slack_export, wecommunities, x_json
from transcripts.importers.base import ImportedEvent, save_imported


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise RecordError(str(path), exc.strerror or "cannot be read") from None


def parse_path(path: Path) -> list[ImportedEvent]:
    """Detect the format of `path` and parse it into events, writing nothing."""
    if not path.exists():
        raise RecordError(str(path), "no such file")
    if slack_export.looks_like(path):
        return slack_export.parse(path)
    text = read_text(path)
    if not text or text.isspace():  # not text.strip(): that would copy a large file only to test it
        raise RecordError(str(path), "file is empty")
    if wecommunities.looks_like(text):
        return [wecommunities.parse(text, str(path))]
    if x_json.looks_like(text):
        return [x_json.parse(text, str(path))]
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


def import_path(db: Database, path: Path, *, cohosts: Sequence[str] = ()) -> list[tuple[int, int]]:
    """Import one file in one transaction; returns (event id, new messages) for each event in it.

    `cohosts` names the chat's known supporters (handles), whose posts, like the host's, are not answers.
    """
    with _gc_paused():
        events = parse_path(path)
        for event in events:
            event.cohosts = list(dict.fromkeys(h.strip().lstrip("@") for h in cohosts if h.strip().lstrip("@")))
        with db.session() as session:
            return [save_imported(session, event) for event in events]
