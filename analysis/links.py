"""Links back to a post on its platform, built only from ids we recognise so no text becomes a URL;
and posts' own web links and @handles made into links, with everything else escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

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


_IN_TEXT_RE = re.compile(r"(https?://[^\s<>\"'`]+)|(?<![\w@/.])@(\w{1,50})")
_TRAILING = ".,;:!?)]}'\"…"


def profile_url(platform: str, handle: str) -> str | None:
    """A person's public profile, where the platform has one addressable by the handle alone."""
    if platform == "x" and _HANDLE_RE.match(handle):
        return f"https://x.com/{handle}"
    return None


def linkify(text: str, platform: str = "") -> Markup:
    """Post text as HTML: web links and @handles become links, everything else is escaped.

    Only http(s) addresses become links (never `javascript:` or data), and every attribute is escaped,
    so a post can make a link but never markup or script. Built as plain strings of escaped pieces and
    marked safe once (a page escapes 50,000 posts); text that cannot hold a link or handle is escaped whole.
    """
    if "@" not in text and "http" not in text:
        return escape(text)
    parts: list[str] = []
    at = 0
    for m in _IN_TEXT_RE.finditer(text):
        parts.append(escape(text[at : m.start()]))
        if m.group(1):
            url = m.group(1).rstrip(_TRAILING)
            shown = escape(url)
            parts.append(f'<a href="{shown}" rel="nofollow noopener noreferrer">{shown}</a>')
            parts.append(escape(m.group(1)[len(url) :]))
        else:
            href = profile_url(platform, m.group(2))
            if href:
                parts.append(f'<a href="{escape(href)}" rel="nofollow noopener noreferrer">@{escape(m.group(2))}</a>')
            else:
                parts.append(escape(m.group(0)))
        at = m.end()
    parts.append(escape(text[at:]))
    return Markup("".join(parts))
