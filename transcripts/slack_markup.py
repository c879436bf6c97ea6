"""Slack's message markup as the text Slack shows, for transcripts, pages and clouds.

Slack stores `<https://…|label>` links, `<@U123>` mentions, `<#C123|channel>` references, `<!here>`
and `:emoji:` names, and escapes `&`, `<` and `>` as entities. People reading a transcript should
see what they saw in Slack: the label, @name, #channel and the emoji itself. This is a pure function
of the text and the export's names; pages escape its result like any other user text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import emoji

_ANGLE = re.compile(r"<([^<>]*)>")
_EMOJI = re.compile(r":([a-z0-9_+\-']+):(?::skin-tone-([2-6]):)?")
_SKIN = {"2": "\U0001f3fb", "3": "\U0001f3fc", "4": "\U0001f3fd", "5": "\U0001f3fe", "6": "\U0001f3ff"}
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def render(text: str, users: Mapping[str, str] | None = None, channels: Mapping[str, str] | None = None) -> str:
    """`text` as Slack displays it: names for ids (from `users`/`channels`), labels for links, emoji."""
    users = users or {}
    channels = channels or {}

    def angle(match: re.Match[str]) -> str:
        body = match.group(1)
        target, _, label = body.partition("|")
        if target.startswith("@"):
            uid = target[1:]
            return "@" + (users.get(uid) or label.lstrip("@") or uid)
        if target.startswith("#"):
            cid = target[1:]
            return "#" + (channels.get(cid) or label.lstrip("#") or cid)
        if target.startswith("!"):
            command = target[1:]
            if command in _SPECIAL:
                return _SPECIAL[command]
            if command.startswith("subteam^"):
                return label if label.startswith("@") else "@" + (label or command.split("^", 1)[1])
            return label or "@" + command.split("^", 1)[0]  # <!date^…|fallback> shows its fallback
        if target.startswith("mailto:"):
            return label or target[len("mailto:") :]
        if label and label != target:
            return f"{label} ({target})"
        return target

    rendered = _ANGLE.sub(angle, text) if "<" in text else text
    if ":" in rendered:
        rendered = _EMOJI.sub(_emoji, rendered)
    if "&" in rendered:  # Slack's own escaping, undone last so an escaped "&lt;@U1&gt;" stays text
        rendered = rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return rendered


def _emoji(match: re.Match[str]) -> str:
    name, tone = match.group(1), match.group(2)
    shown = emoji.emojize(f":{name}:", language="alias")
    if shown == f":{name}:":
        return match.group(0)  # a custom workspace emoji: keep its name
    return shown + (_SKIN[tone] if tone else "")
