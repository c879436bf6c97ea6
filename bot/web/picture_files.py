"""Where the web app keeps the pictures it draws for a chat page, one folder per version of the record.

Kept apart from the page cache so that `huddlebot forget` and `purge` can remove drawn pictures without
loading the analysis: pictures are drawn from people's words and names, so neither an erasure nor a purged
huddle may leave them on disk until someone next opens a page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

FOLDER = "web"


def picture_dir(output_dir: Path, event_id: int, version: str) -> Path:
    return output_dir / FOLDER / f"event-{event_id}" / version


def remove_drawn_pictures(output_dir: Path, event_ids: Iterable[int] | None = None) -> int:
    """Delete the drawn pictures of these events (default: every event's); the web app draws them again
    from the record on demand. How many events had some."""
    root = output_dir / FOLDER
    if not root.is_dir():
        return 0
    if event_ids is None:
        events = [folder for folder in root.glob("event-*") if folder.is_dir()]
    else:
        events = [folder for folder in (root / f"event-{i}" for i in event_ids) if folder.is_dir()]
    for folder in events:
        shutil.rmtree(folder, ignore_errors=True)
    return len(events)
