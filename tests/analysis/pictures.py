"""A picture a person would look at: a real PNG of a useful size with something drawn in it."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def assert_drawn(path: Path, *, min_width: int = 400, min_height: int = 300) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG", path
        assert image.width >= min_width and image.height >= min_height, (path, image.size)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
        assert len(colours) > 16, f"{path} is almost blank ({len(colours)} colours)"
