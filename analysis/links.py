"""Links back to a post on its platform, built only from ids we recognise so no text becomes a URL."""

from __future__ import annotations

import re

_AT_URI_RE = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9]+)$")
_HANDLE_RE = re.compile(r"^\w{1,50}$")


def post_url(platform: str, platform_id: str, handle: str) -> str | None:
    """The public address of a post, or None where the record has no real platform id for it."""
    if platform == "x" and platform_id.isdigit():
        who = handle if _HANDLE_RE.match(handle) else "i"
        return f"https://x.com/{who}/status/{platform_id}"
    if platform == "bluesky":
        m = _AT_URI_RE.match(platform_id)
        if m:
            return f"https://bsky.app/profile/{m.group(1)}/post/{m.group(2)}"
    return None
