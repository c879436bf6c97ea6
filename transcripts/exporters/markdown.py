"""The transcript as Markdown, grouped by question, with user text escaped so it reads as written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from transcripts.exporters.atomic import atomic_writer
from transcripts.exporters.local_clock import LocalClock
from transcripts.snapshot import EventSnapshot

# The backslash first, so the backslashes put before the others are not doubled.
_MD_SPECIAL = "\\`*_{}[]()#+-.!|>~<"
_BATCH = 2000  # entries joined into one write: few calls, and never more than a batch held as text


def escape_markdown(text: str) -> str:
    """Backslash Markdown's special characters (and `<`, so no HTML passes through a renderer).

    One `replace` per special character the text holds: several times faster than a regex substitution."""
    for special in _MD_SPECIAL:
        if special in text:
            text = text.replace(special, "\\" + special)
    return text.replace("\n", "  \n")


def _chunks(snapshot: EventSnapshot, question_of: Mapping[int, int | None]) -> Iterator[str]:
    """The document's text in order, before its end is trimmed: a heading block, then each section's entries.

    Sections are written one after another by walking the posts once per section (a chat has a handful),
    so no section's entries are ever all held as text at once.
    """
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
    lines.append("## Transcript")
    yield "\n".join(lines)
    sections = {question_of.get(m.id) for m in snapshot.messages}
    handles = {pid: escape_markdown(p.handle) for pid, p in snapshot.people.items()}
    clock = LocalClock(zone, "%H:%M")
    titles = {q.number: f"Q{q.number}. {escape_markdown(q.text)}" for q in questions}
    for number in [None, *sorted(n for n in sections if n is not None)]:
        if number not in sections:
            continue
        title = "Before the first question" if number is None else titles.get(number, f"Q{number}")
        yield f"\n\n### {title}\n"
        batch: list[str] = []
        for m in snapshot.messages:
            if question_of.get(m.id) == number:
                batch.append(f"\n**@{handles[m.author_id]}** · {clock(m.created_at)} — {escape_markdown(m.text)}\n")
                if len(batch) >= _BATCH:
                    yield "".join(batch)
                    batch.clear()
        yield "".join(batch)


def _trimmed(chunks: Iterator[str]) -> Iterator[str]:
    """The chunks with the whitespace at the very end of the document replaced by one line break, as
    `text.rstrip() + "\\n"` would: trailing whitespace is held back until text follows it."""
    held = ""
    for chunk in chunks:
        body = chunk.rstrip()
        if body:
            yield held + body
            held = chunk[len(body) :]
        else:
            held += chunk
    yield "\n"


def write_markdown(snapshot: EventSnapshot, path: Path, question_of: Mapping[int, int | None]) -> None:
    """Written as it is made, into the atomic temporary file: a large chat's transcript is never one string."""
    with atomic_writer(path) as fh:
        _write_all(fh, _trimmed(_chunks(snapshot, question_of)))


def _write_all(fh: IO[str], chunks: Iterator[str]) -> None:
    for chunk in chunks:
        fh.write(chunk)
