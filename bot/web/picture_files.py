"""Where the web app keeps the pictures it draws for a chat page, one folder per version of the record.

Kept apart from the page cache so that `huddlebot forget` can remove every drawn picture without loading
the analysis: pictures are drawn from people's words and names, so an erasure must not leave them on disk
until someone next opens the page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FOLDER = "web"


def picture_dir(output_dir: Path, event_id: int, version: str) -> Path:
    return output_dir / FOLDER / f"event-{event_id}" / version


def remove_drawn_pictures(output_dir: Path) -> int:
    """Delete every event's drawn pictures (the web app draws them again from the record on demand);
    how many events had some."""
    root = output_dir / FOLDER
    if not root.is_dir():
        return 0
    events = [folder for folder in root.glob("event-*") if folder.is_dir()]
    for folder in events:
        shutil.rmtree(folder, ignore_errors=True)
    return len(events)
