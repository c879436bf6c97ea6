"""Chat pages and their pictures, built once per version of an event's record.

Analysing a chat and drawing its wheel and clouds takes far longer than serving it, and a finished
chat never changes; so the report and pictures are kept per (event, version), where the version
changes whenever a message is captured, edited or removed. Pictures live under
HUDDLEBOT_OUTPUT_DIR/web/event-<id>/<version>/ and older versions are deleted once a new one is drawn.
Matplotlib is not thread-safe, so drawing is serialised.
"""

from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from analysis.report import PICTURES, ChatReport, build_report, draw_pictures
from transcripts.db import Database
from transcripts.models import MessageRow
from transcripts.snapshot import load_event

_draw_lock = threading.Lock()
_cache_lock = threading.Lock()
KEEP_REPORTS = 16


@dataclass(frozen=True, slots=True)
class Built:
    version: str
    report: ChatReport


_reports: OrderedDict[tuple[str, int], Built] = OrderedDict()


def record_version(db: Database, event_id: int) -> str:
    """Changes whenever the event's visible messages change: count, newest id, last edit, removals."""
    with db.session() as session:
        count, newest, edited, removed = session.execute(
            select(
                func.count(MessageRow.id),
                func.max(MessageRow.id),
                func.max(MessageRow.edited_at),
                func.count(MessageRow.deleted_at),
            ).where(MessageRow.event_id == event_id)
        ).one()
    stamp = int(edited.timestamp()) if edited is not None else 0
    return f"{count}-{newest or 0}-{stamp}-{removed}"


def picture_dir(output_dir: Path, event_id: int, version: str) -> Path:
    return output_dir / "web" / f"event-{event_id}" / version


def built_report(db: Database, event_id: int) -> Built:
    """The report for the event's current version, analysed again only when the record changed."""
    version = record_version(db, event_id)
    key = (db.url, event_id)
    with _cache_lock:
        cached = _reports.get(key)
        if cached is not None and cached.version == version:
            _reports.move_to_end(key)
            return cached
    with db.session() as session:
        snapshot = load_event(session, event_id)
    built = Built(version, build_report(snapshot))
    with _cache_lock:
        _reports[key] = built
        _reports.move_to_end(key)
        while len(_reports) > KEEP_REPORTS:
            _reports.popitem(last=False)
    return built


def drawn_pictures(built: Built, output_dir: Path) -> dict[str, bool]:
    """Draw the version's pictures once (the chat page needs them; the live view does not)."""
    folder = picture_dir(output_dir, built.report.snapshot.id, built.version)
    marker = folder / "drawn.txt"
    with _draw_lock:
        if marker.exists():
            drawn = set(marker.read_text(encoding="utf-8").split())
        else:
            paths = draw_pictures(built.report, folder)
            drawn = {name for name, path in paths.items() if path is not None}
            marker.write_text(" ".join(sorted(drawn)), encoding="utf-8")
            for old in folder.parent.iterdir():
                if old != folder and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
    return {name: name in drawn for name in PICTURES}
