"""Questions as a reader wants them: the words of the question, not the post that carried it.

A host's question post reads "FINAL QUESTION Question Six: If you could…? #WeHCMs https://t.co/N45…":
the marker, the chat's hashtag and the t.co link are how it was posted, not what was asked. Where a
definition (or a page's Chat Details) gives the question, that text is used as it is; where only the
post is known, `clean_question` strips those parts, so the page, the summary, the transcript and the
CPD log all show the same clean question.
"""

from __future__ import annotations

import dataclasses
import re

from transcripts.snapshot import EventSnapshot

_LEADING_MARKER = re.compile(
    r"^\s*(?:final\s+question\s*[:!.\-–—]*\s*)?"
    r"(?:(?:question\s+(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)|q\s?\d{1,2})\s*[:.\-–—)]\s*)?",
    re.IGNORECASE,
)
_SHORT_LINK = re.compile(r"\s*https?://t\.co/\w+", re.IGNORECASE)
_TRAILING_TAGS = re.compile(r"(?:\s+[#＃]\w+)+\s*$")


def clean_question(text: str, hashtag: str | None = None) -> str:
    """The question's own words: no leading marker, no chat hashtag, no t.co link; never empty."""
    out = _LEADING_MARKER.sub("", text, count=1)
    out = _SHORT_LINK.sub("", out)
    if hashtag:
        out = re.sub(rf"\s*{re.escape(hashtag)}\b", "", out, flags=re.IGNORECASE)
    out = _TRAILING_TAGS.sub("", out)
    out = " ".join(out.split()).strip(" -–—")
    return out or " ".join(text.split())


def with_clean_questions(snapshot: EventSnapshot) -> EventSnapshot:
    """The snapshot with every question prompt's text cleaned (a new object; the record is untouched)."""
    prompts = [
        dataclasses.replace(p, text=clean_question(p.text, snapshot.hashtag)) if p.kind == "question" else p
        for p in snapshot.prompts
    ]
    if all(a is b for a, b in zip(prompts, snapshot.prompts, strict=True)):
        return snapshot
    return dataclasses.replace(snapshot, prompts=prompts)
