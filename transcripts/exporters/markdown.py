"""The transcript as Markdown, grouped by question, with user text escaped so it reads as written."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from transcripts.exporters.atomic import write_text_atomic
from transcripts.exporters.local_clock import LocalClock
from transcripts.snapshot import EventSnapshot

# The backslash first, so the backslashes put before the others are not doubled.
_MD_SPECIAL = "\\`*_{}[]()#+-.!|>~<"


def escape_markdown(text: str) -> str:
    """Backslash Markdown's special characters (and `<`, so no HTML passes through a renderer).

    One `replace` per special character the text holds: several times faster than a regex substitution."""
    for special in _MD_SPECIAL:
        if special in text:
            text = text.replace(special, "\\" + special)
    return text.replace("\n", "  \n")


def transcript_markdown(snapshot: EventSnapshot, question_of: Mapping[int, int | None]) -> str:
    zone = ZoneInfo(snapshot.timezone)
    start = snapshot.starts_at.astimezone(zone)
    lines = [
        f"# {escape_markdown(snapshot.hashtag or '')} {escape_markdown(snapshot.title)}".strip(),
        "",
        f"{start:%A %d %B %Y, %H:%M} ({snapshot.timezone})"
        + (f" · hosted by @{escape_markdown(snapshot.host)}" if snapshot.host else ""),
        "",
    ]
    if snapshot.topic:
        lines += [escape_markdown(snapshot.topic), ""]
    questions = snapshot.questions
    if questions:
        lines.append("## Questions")
        lines.append("")
        lines += [f"{q.number}. {escape_markdown(q.text)}" for q in questions]
        lines.append("")
    groups: dict[int | None, list[str]] = {}
    handles = {pid: escape_markdown(p.handle) for pid, p in snapshot.people.items()}
    clock = LocalClock(zone, "%H:%M")
    for m in snapshot.messages:
        entry = f"**@{handles[m.author_id]}** · {clock(m.created_at)} — {escape_markdown(m.text)}"
        groups.setdefault(question_of.get(m.id), []).append(entry)
    titles = {q.number: f"Q{q.number}. {escape_markdown(q.text)}" for q in questions}
    lines.append("## Transcript")
    for number in [None, *sorted(n for n in groups if n is not None)]:
        if number not in groups:
            continue
        lines += ["", f"### {'Before the first question' if number is None else titles.get(number, f'Q{number}')}", ""]
        for entry in groups[number]:
            lines += [entry, ""]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(snapshot: EventSnapshot, path: Path, question_of: Mapping[int, int | None]) -> None:
    write_text_atomic(path, transcript_markdown(snapshot, question_of))
