"""Links back to a post on its platform, built only from ids we recognise so no text becomes a URL;
and posts' own web links and @handles made into links, with everything else escaped."""

from __future__ import annotations

import re

from markupsafe import Markup

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


# A web address, or an @handle not inside a word, address or email. Each branch opens with its literal
# ("h", "@": the handle's look-behind comes after its "@"), so the engine skips to those characters
# instead of trying both branches at every character of every post.
_IN_TEXT_RE = re.compile(r"(https?://[^\s<>\"'`]+)|@(?<![\w@/.]@)(\w{1,50})")
_TRAILING = ".,;:!?)]}'\"…"


def profile_url(platform: str, handle: str) -> str | None:
    """A person's public profile, where the platform has one addressable by the handle alone."""
    if platform == "x" and _HANDLE_RE.match(handle):
        return f"https://x.com/{handle}"
    return None


def html_text(text: str) -> str:
    """`markupsafe.escape(text)` as a plain string (the same five characters, the same entities), without
    its wrapper and Markup object per call: a page escapes each of 50,000 posts' pieces."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "'" in text:
        text = text.replace("'", "&#39;")
    if '"' in text:
        text = text.replace('"', "&#34;")
    return text


def linkify(text: str, platform: str = "") -> Markup:
    """Post text as HTML: web links and @handles become links, everything else is escaped.

    Only http(s) addresses become links (never `javascript:` or data), and every attribute is escaped,
    so a post can make a link but never markup or script.
    """
    return Markup(linkify_html(text, platform))


def linkify_html(text: str, platform: str = "") -> str:
    """`linkify` as a plain string, for HTML built in Python and marked safe once it is whole."""
    if "@" not in text and "http" not in text:  # nothing to link: escaped whole
        return html_text(text)
    pieces = _IN_TEXT_RE.split(text)  # text, then (address, handle, text) for each match
    parts = [html_text(pieces[0])]
    for i in range(1, len(pieces), 3):
        url, handle, after = pieces[i], pieces[i + 1], pieces[i + 2]
        if url:
            link = url.rstrip(_TRAILING)
            shown = html_text(link)
            parts.append(f'<a href="{shown}" rel="nofollow noopener noreferrer">{shown}</a>')
            parts.append(html_text(url[len(link) :]))
        else:
            href = profile_url(platform, handle)
            if href:
                parts.append(f'<a href="{html_text(href)}" rel="nofollow noopener noreferrer">@{html_text(handle)}</a>')
            else:
                parts.append("@" + html_text(handle))
        parts.append(html_text(after))
    return "".join(parts)
