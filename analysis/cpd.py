"""CPD logs: a participant's prefilled reflective record of a chat or huddle, for NMC revalidation.

The record knows the date, the hours, that it was participatory, the topic, the questions, what the
person said and the themes; it cannot know what they learned. So those facts are filled in and the
four fields of the NMC reflective account are left for the person, each with the prompt the NMC form
asks. A tweet chat counts as participatory learning (the RCN counts it so): hours = the chat's length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.shared import Pt

from analysis.answers import Assignment, assign_answers
from analysis.event_text import EventText, event_text
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.exporters.atomic import write_text_atomic
from transcripts.exporters.markdown import escape_markdown
from transcripts.snapshot import EventSnapshot, load_event

CODE_THEMES = ("Prioritise people", "Practise effectively", "Preserve safety", "Promote professionalism and trust")

# The NMC reflective account form's four questions, in its order, with what each asks of the person.
REFLECTION_FIELDS: dict[str, tuple[str, str]] = {
    "nature_of_activity": (
        "What was the nature of the CPD activity and/or practice-related feedback and/or event or experience?",
        "Prefilled from the record; add anything about why you took part.",
    ),
    "what_you_learned": (
        "What did you learn from the CPD activity and/or feedback and/or event or experience?",
        "Which answers made you think? What was new to you, or confirmed what you do?",
    ),
    "how_you_changed_practice": (
        "How did you change or improve your practice as a result?",
        "Something you have done, or will do, differently — and how you will know it helped.",
    ),
    "relevance_to_code": (
        "How is this relevant to the Code? Select one or more themes: " + ", ".join(CODE_THEMES) + ".",
        "Name the theme(s) and say how this activity relates to them.",
    ),
}

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(slots=True)
class Contribution:
    local_time: str
    question: int | None
    text: str


@dataclass(slots=True)
class CPDLog:
    handle: str
    name: str | None
    event_id: int
    title: str
    kind: str
    method: str
    hashtag: str | None
    channel: str | None
    topic: str | None
    date: str
    start: str
    end: str
    timezone: str
    hours: float
    participatory_hours: float
    questions: list[tuple[int | None, str]]
    contributions: list[Contribution]
    chat_themes: list[str]
    own_themes: list[str]
    nature_of_activity: str
    code_themes: tuple[str, ...] = CODE_THEMES
    reflections: dict[str, str] = field(default_factory=dict)


def _hours(snapshot: EventSnapshot) -> float:
    if snapshot.ends_at is None:
        return 1.0
    return round((snapshot.ends_at - snapshot.starts_at).total_seconds() / 3600, 2)


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What every participant's log shares, computed once per event rather than once per person."""

    text: EventText
    chat_themes: tuple[str, ...]


def chat_context(snapshot: EventSnapshot, text: EventText | None = None) -> ChatContext:
    text = text or event_text(snapshot)
    return ChatContext(text, tuple(text.themes(top=8)))


def build_cpd_log(
    snapshot: EventSnapshot,
    handle: str,
    assignments: Mapping[int, Assignment],
    context: ChatContext | None = None,
) -> CPDLog:
    """The prefilled log for one participant; RecordError when they did not take part."""
    wanted = handle.lstrip("@").lower()
    person = next((p for p in snapshot.people.values() if p.handle.lower() == wanted), None)
    own = [m for m in snapshot.messages if person is not None and m.author_id == person.id]
    if person is None or not own:
        raise RecordError(f"event {snapshot.id}", f"no participant @{handle.lstrip('@')}")
    zone = ZoneInfo(snapshot.timezone)
    start = snapshot.starts_at.astimezone(zone)
    end = (snapshot.ends_at or snapshot.starts_at).astimezone(zone)
    shared = context or chat_context(snapshot)
    medium = "online tweet chat" if snapshot.kind == "chat" else "Slack huddle"
    where = snapshot.hashtag or snapshot.channel or ""
    hours = _hours(snapshot)
    contributions = [
        Contribution(
            m.created_at.astimezone(zone).strftime("%H:%M"),
            assignments[m.id].number if m.id in assignments else None,
            m.text,
        )
        for m in own
    ]
    nature = (
        f"Participatory learning: I took part in the {medium} {where} “{snapshot.title}” on "
        f"{start:%d %B %Y} ({start:%H:%M}–{end:%H:%M} {snapshot.timezone}), "
        f"interacting with other health and care professionals; I posted {len(own)} time(s)"
        + (
            f" and answered {sum(1 for c in contributions if c.question is not None)} question(s)."
            if snapshot.questions
            else "."
        )
    )
    return CPDLog(
        handle=person.handle,
        name=person.name,
        event_id=snapshot.id,
        title=snapshot.title,
        kind=snapshot.kind,
        method=f"Participatory learning: {medium}",
        hashtag=snapshot.hashtag,
        channel=snapshot.channel,
        topic=snapshot.topic,
        date=f"{start:%d %B %Y}".lstrip("0"),
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        timezone=snapshot.timezone,
        hours=hours,
        participatory_hours=hours,
        questions=[(q.number, q.text) for q in snapshot.questions],
        contributions=contributions,
        chat_themes=list(shared.chat_themes),
        own_themes=shared.text.themes([m.id for m in own if not m.is_repost], top=5),
        nature_of_activity=nature,
    )


def _record_rows(log: CPDLog) -> list[tuple[str, str]]:
    return [
        ("Participant", f"@{log.handle}" + (f" ({log.name})" if log.name else "")),
        ("Activity", f"{log.hashtag + ' ' if log.hashtag else ''}{log.title}"),
        ("Method", log.method),
        ("Date", log.date),
        ("Time", f"{log.start}–{log.end} ({log.timezone})"),
        ("Number of hours", f"{log.hours:g}"),
        ("Number of participatory hours", f"{log.participatory_hours:g}"),
        ("Topic", log.topic or log.title),
        ("Key themes of the discussion", ", ".join(log.chat_themes) or "—"),
        ("Themes of your own contributions", ", ".join(log.own_themes) or "—"),
        ("Evidence", f"Transcript of event {log.event_id} ({len(log.contributions)} contributions of yours)"),
    ]


def to_markdown(log: CPDLog, reflections: Mapping[str, str] | None = None) -> str:
    """The log as Markdown; user text is escaped so it can never become markup or HTML."""
    given = dict(reflections or {})
    e = escape_markdown
    lines = [f"# CPD log: {e(log.title)}", "", "## CPD record", "", "| Field | Entry |", "| --- | --- |"]
    lines += [f"| {k} | {e(v)} |" for k, v in _record_rows(log)]
    if log.questions:
        lines += ["", "## Questions discussed", ""]
        lines += [f"{n}. {e(text)}" for n, text in log.questions]
    lines += ["", "## Your contributions", ""]
    for c in log.contributions:
        tag = f"A{c.question} · " if c.question is not None else ""
        lines.append(f"- {tag}{c.local_time} — {e(c.text)}")
    lines += ["", "## Reflective account (NMC)", ""]
    for key, (question, prompt) in REFLECTION_FIELDS.items():
        lines += [f"### {question}", ""]  # our own wording: written as is
        text = given.get(key) or (log.nature_of_activity if key == "nature_of_activity" else "")
        lines += [e(text) if text else f"_{prompt}_", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_docx(log: CPDLog, path: Path, reflections: Mapping[str, str] | None = None) -> Path:
    """The log as a Word document (python-docx escapes XML itself), written via a temporary file."""
    given = dict(reflections or {})
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(f"CPD log: {log.title}", level=0)
    doc.add_heading("CPD record", level=1)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light Grid Accent 1"
    for label, value in _record_rows(log):
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    if log.questions:
        doc.add_heading("Questions discussed", level=1)
        for number, text in log.questions:
            doc.add_paragraph(f"{number}. {text}")
    doc.add_heading("Your contributions", level=1)
    for c in log.contributions:
        tag = f"A{c.question} · " if c.question is not None else ""
        doc.add_paragraph(f"{tag}{c.local_time} — {c.text}", style="List Bullet")
    doc.add_heading("Reflective account (NMC)", level=1)
    for key, (question, prompt) in REFLECTION_FIELDS.items():
        doc.add_heading(question, level=2)
        text = given.get(key) or (log.nature_of_activity if key == "nature_of_activity" else "")
        paragraph = doc.add_paragraph(text or prompt)
        if not text:
            paragraph.runs[0].italic = True
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        doc.save(str(tmp))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def safe_filename(handle: str) -> str:
    return _SAFE_NAME.sub("_", handle.lstrip("@")) or "participant"


def write_cpd_logs(db: Database, event_id: int, out_dir: Path, *, formats: tuple[str, ...] = ("md",)) -> list[Path]:
    """One prefilled log per contributor of an event, in each of `formats` ("md", "docx")."""
    with db.session() as session:
        snapshot = load_event(session, event_id)
    assignments = assign_answers(snapshot)
    context = chat_context(snapshot)
    written: list[Path] = []
    handles = sorted({snapshot.author(m).handle for m in snapshot.messages}, key=str.lower)
    for handle in handles:
        log = build_cpd_log(snapshot, handle, assignments, context)
        base = out_dir / safe_filename(handle)
        if "md" in formats:
            target = base.with_suffix(".md")
            write_text_atomic(target, to_markdown(log))
            written.append(target)
        if "docx" in formats:
            written.append(write_docx(log, base.with_suffix(".docx")))
    return written
