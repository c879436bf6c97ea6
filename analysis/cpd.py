"""CPD logs: a participant's prefilled record of a chat or huddle, for NMC revalidation.

A registrant signs this record, so it claims only what the record shows about *them*: the hours are
the time they took part (first to last post, rounded up to the quarter hour, at least 15 minutes,
and said so, for them to change); "answered" counts distinct questions, apart from how often they
posted; the host's and co-hosts' posts are never answers. The record cannot know what they learned,
so those fields are marked "to complete", and what the tool drafted is marked as drafted, in the
Markdown, the Word document and the web form alike. The reflective account must not identify other
people (NMC guidance), so colleagues' @handles in it read "a colleague".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.text import WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from analysis.answers import Assignment, assign_answers, host_handles
from analysis.cpd_offer import cpd_offered
from analysis.event_text import EventText, event_text
from analysis.question_text import clean_question
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.exporters.atomic import save_atomic, write_text_atomic
from transcripts.snapshot import EventSnapshot, load_event

CODE_THEMES = ("Prioritise people", "Practise effectively", "Preserve safety", "Promote professionalism and trust")
QUARTER_HOUR = 15  # minutes: hours are rounded up to this, and never less than it

# The NMC reflective account form's four questions, in its order, with what each asks of the person.
REFLECTION_FIELDS: dict[str, tuple[str, str]] = {
    "nature_of_activity": (
        "What was the nature of the CPD activity and/or practice-related feedback and/or event or experience?",
        "Drafted from the record; add anything about why you took part.",
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
        "Tick the theme(s) above and say how this activity relates to them.",
    ),
}
# Fields of the CPD record (not the reflective account) that the person writes or may change.
RECORD_FIELDS: dict[str, str] = {
    "relation_to_practice": "How the topic relates to your practice",
    "hours": "Number of hours",
    "participatory_hours": "Number of participatory hours",
    "code_themes": "Link to the Code",
}
DRAFTED = "Drafted"
TO_COMPLETE = "To complete"
THEME_SEPARATOR = "; "

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_HANDLE_RE = re.compile(r"(?<![\w@])[@＠](\w{1,50})")
# Characters XML 1.0 forbids: Word cannot open a document holding one, and python-docx refuses to write it.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
    hours_basis: str
    posts: int
    answered: list[int]
    questions: list[tuple[int | None, str]]
    contributions: list[Contribution]
    chat_themes: list[str]
    own_themes: list[str]
    nature_of_activity: str
    description: str
    evidence_url: str | None = None
    iso_date: str = ""
    code_themes: tuple[str, ...] = CODE_THEMES
    reflections: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What every participant's log shares, computed once per event rather than once per person."""

    text: EventText
    chat_themes: tuple[str, ...]


def chat_context(snapshot: EventSnapshot, text: EventText | None = None) -> ChatContext:
    text = text or event_text(snapshot)
    return ChatContext(text, tuple(text.themes(top=8)))


def participation_hours(first: datetime, last: datetime) -> float:
    """First to last post, rounded up to the quarter hour, at least a quarter hour."""
    minutes = (last - first).total_seconds() / 60
    quarters = max(1, math.ceil(minutes / QUARTER_HOUR - 1e-9))
    return quarters * QUARTER_HOUR / 60


def format_hours(hours: float) -> str:
    return f"{hours:g}"


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _answered_text(answered: list[int], of: int) -> str:
    if not of:
        return ""
    if not answered:
        return f" I did not answer any of the {of} questions."
    which = ", ".join(f"Q{n}" for n in answered)
    noun = "question" if len(answered) == 1 else "questions"
    if of == 1:
        return f" I answered the question ({which})."
    return f" I answered {len(answered)} of the {of} {noun} ({which})."


def build_cpd_log(
    snapshot: EventSnapshot,
    handle: str,
    assignments: Mapping[int, Assignment],
    context: ChatContext | None = None,
    *,
    evidence_url: str | None = None,
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
    first, last = own[0].created_at.astimezone(zone), own[-1].created_at.astimezone(zone)
    hours = participation_hours(first, last)
    span = round((last - first).total_seconds() / 60)
    if len(own) == 1:
        basis = f"You posted once, at {first:%H:%M}: counted as the minimum of {QUARTER_HOUR} minutes."
    else:
        basis = (
            f"From your first post at {first:%H:%M} to your last at {last:%H:%M} ({span} minutes), "
            f"rounded up to the quarter hour (at least {QUARTER_HOUR} minutes)."
        )
    basis += " Change it if you spent longer or less time taking part."
    contributions = [
        Contribution(
            m.created_at.astimezone(zone).strftime("%H:%M"),
            assignments[m.id].number if m.id in assignments else None,
            m.text,
        )
        for m in own
    ]
    answered = sorted({c.question for c in contributions if c.question is not None})
    nature = (
        f"Participatory learning: I took part in the {medium} {where} “{snapshot.title}” on "
        f"{start:%d %B %Y} ({start:%H:%M}–{end:%H:%M} {snapshot.timezone}), interacting with other health and "
        f"care professionals. I posted {_times(len(own))}"
        + (f", from {first:%H:%M} to {last:%H:%M}." if len(own) > 1 else f", at {first:%H:%M}.")
        + (
            f" I {'hosted' if person.handle.lower() == (snapshot.host or '').lower() else 'co-hosted'} the chat."
            if person.handle.lower() in host_handles(snapshot)
            else _answered_text(answered, len(snapshot.questions))
        )
    ).replace("  ", " ")
    description = (snapshot.topic or snapshot.title).strip()
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
        hours_basis=basis,
        posts=len(own),
        answered=answered,
        questions=[(q.number, clean_question(q.text, snapshot.hashtag)) for q in snapshot.questions],
        contributions=contributions,
        chat_themes=list(shared.chat_themes),
        own_themes=shared.text.themes([m.id for m in own if not m.is_repost], top=5),
        nature_of_activity=nature,
        description=description,
        evidence_url=evidence_url or snapshot.page_url,
        iso_date=start.date().isoformat(),
    )


def anonymise(text: str, own_handle: str) -> str:
    """Other people's @handles become "a colleague"; the person's own handle stays."""
    own = own_handle.lstrip("@").lower()
    return _HANDLE_RE.sub(lambda m: m.group(0) if m.group(1).lower() == own else "a colleague", text)


def xml_safe(text: str) -> str:
    """Text Word can hold: characters XML 1.0 forbids (\\x0b, \\x1b, \\ufffe...) are dropped."""
    return _XML_ILLEGAL.sub("", text)


def chosen_themes(reflections: Mapping[str, str]) -> list[str]:
    """The Code themes the person ticked, in the Code's order (stored joined by THEME_SEPARATOR)."""
    ticked = {t.strip().lower() for t in reflections.get("code_themes", "").split(THEME_SEPARATOR.strip())}
    return [t for t in CODE_THEMES if t.lower() in ticked]


def hours_given(log: CPDLog, reflections: Mapping[str, str], key: str) -> tuple[float, bool]:
    """The hours the person gave for `key`, else the drafted figure; and whether it is theirs."""
    value = reflections.get(key, "").strip()
    try:
        hours = float(value)
    except ValueError:
        return (log.hours if key == "hours" else log.participatory_hours), False
    if not math.isfinite(hours) or hours < 0 or hours > 24:
        return (log.hours if key == "hours" else log.participatory_hours), False
    return round(hours, 2), True


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the CPD record: its value and whether it came from the record, was drafted or is to complete."""

    label: str
    value: str
    status: str = ""  # "" (from the record) | DRAFTED | TO_COMPLETE
    note: str = ""
    link: str | None = None


def record_rows(log: CPDLog, reflections: Mapping[str, str] | None = None) -> list[Row]:
    """The NMC CPD log's fields in its order, each marked as the record's, drafted or to complete."""
    given = dict(reflections or {})
    hours, own_hours = hours_given(log, given, "hours")
    part, own_part = hours_given(log, given, "participatory_hours")
    ticked = chosen_themes(given)
    boxes = "   ".join(f"{'☒' if t in ticked else '☐'} {t}" for t in CODE_THEMES)
    relation = given.get("relation_to_practice", "").strip()
    evidence = f"The chat page with the full transcript ({len(log.contributions)} contributions of yours, listed below)"
    return [
        Row("Participant", f"@{log.handle}" + (f" ({log.name})" if log.name else "")),
        Row("Method", log.method),
        Row("Topic", f"{log.hashtag + ' ' if log.hashtag else ''}{log.title}"),
        Row("Link to the Code", boxes, *(("", "") if ticked else (TO_COMPLETE, "Tick the theme(s) most relevant."))),
        Row("Date", log.date),
        Row("Time", f"{log.start}–{log.end} ({log.timezone})"),
        Row("Number of hours", format_hours(hours), "" if own_hours else DRAFTED, "" if own_hours else log.hours_basis),
        Row(
            "Number of participatory hours",
            format_hours(part),
            "" if own_part else DRAFTED,
            "" if own_part else "The same time: the chat was interaction with other professionals.",
        ),
        Row("Brief description of the topic", log.description, DRAFTED, "From the chat's own description."),
        Row(
            "How the topic relates to your practice",
            relation,
            "" if relation else TO_COMPLETE,
            "" if relation else "A sentence or two about where this meets your own work.",
        ),
        Row("Key themes of the discussion", ", ".join(log.chat_themes) or "—"),
        Row("Themes of your own contributions", ", ".join(log.own_themes) or "—"),
        Row("Evidence", evidence if log.evidence_url else f"Transcript of event {log.event_id}", link=log.evidence_url),
    ]


def reflective_account(log: CPDLog, reflections: Mapping[str, str] | None = None) -> list[Row]:
    """The four questions of the NMC reflective account, anonymised, each drafted, written or to complete."""
    given = dict(reflections or {})
    rows = []
    for key, (question, prompt) in REFLECTION_FIELDS.items():
        text = given.get(key, "").strip()
        if text:
            rows.append(Row(question, anonymise(text, log.handle)))
        elif key == "nature_of_activity":
            rows.append(Row(question, anonymise(log.nature_of_activity, log.handle), DRAFTED, prompt))
        else:
            rows.append(Row(question, "", TO_COMPLETE, prompt))
    return rows


# --- Markdown -------------------------------------------------------------------------------------------

_MD_ALWAYS = re.compile(r"([\\`*\[\]~])")
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.M)
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")


def md_text(text: str, *, in_table: bool = False, paragraph: bool = False) -> str:
    """User text that Markdown shows as written, escaping only what would otherwise become markup.

    `#` mid-line, `(`, `)`, `.` and URLs need nothing; `*`, backticks, brackets, `<`, an underscore at
    a word's edge, and `#`, `>`, `-`, `1.` at a line's start do. Nothing can become HTML.
    """
    out = _MD_ALWAYS.sub(r"\\\1", text)
    out = _MD_EDGE_UNDERSCORE.sub(r"\\_", out)
    out = _MD_ENTITY.sub("&amp;", out)
    if "<" in out:
        out = out.replace("<", "\\<").replace(">", "\\>")
    if paragraph:  # only text that starts a line can become a heading, quote or list
        out = _MD_LINE_START.sub(r"\1\\\2", out)
    if in_table:
        out = out.replace("|", "\\|").replace("\r", "").replace("\n", " ")
    return out


def _md_link(url: str, label: str) -> str:
    if re.fullmatch(r"https?://[^\s<>()]+|[\w./-]+", url):
        return f"[{md_text(label)}]({url})"
    return md_text(label)


def _md_row(row: Row) -> str:
    value = _md_link(row.link, row.value) if row.link else md_text(row.value, in_table=True)
    if row.status == DRAFTED:
        value += f" — *{DRAFTED}: {md_text(row.note, in_table=True)}*" if row.note else f" — *{DRAFTED}*"
    elif row.status == TO_COMPLETE:
        value = (value + " — " if value else "") + f"**{TO_COMPLETE}:** *{md_text(row.note, in_table=True)}*"
    return f"| {row.label} | {value} |"


def to_markdown(log: CPDLog, reflections: Mapping[str, str] | None = None) -> str:
    """The log as Markdown that reads cleanly as plain text; user text can never become markup or HTML."""
    lines = [
        f"# CPD log: {md_text(log.title)}",
        "",
        f"*{DRAFTED}* marks what huddlebot filled in from the record for you to check; "
        f"**{TO_COMPLETE}** marks what only you can write.",
        "",
        "## CPD record",
        "",
        "| Field | Entry |",
        "| --- | --- |",
    ]
    lines += [_md_row(row) for row in record_rows(log, reflections)]
    if log.questions:
        lines += ["", "## Questions discussed", ""]
        lines += [f"{n}. {md_text(text)}" for n, text in log.questions]
    lines += ["", "## Your contributions (evidence)", ""]
    for c in log.contributions:
        tag = f"A{c.question} · " if c.question is not None else ""
        lines.append(f"- {tag}{c.local_time} — {md_text(' '.join(c.text.split()))}")
    lines += ["", "## Reflective account (NMC)", ""]
    for row in reflective_account(log, reflections):
        lines += [f"### {row.label}", ""]
        if row.status == DRAFTED:
            lines += [f"*{DRAFTED} — check and edit:*", "", md_text(row.value, paragraph=True), ""]
        elif row.status == TO_COMPLETE:
            lines += [f"**{TO_COMPLETE}:** *{md_text(row.note)}*", ""]
        else:
            lines += [md_text(row.value, paragraph=True), ""]
    return "\n".join(lines).rstrip() + "\n"


# --- Word -----------------------------------------------------------------------------------------------


def _add_hyperlink(paragraph: Paragraph, url: str, text: str) -> None:
    """A real, clickable hyperlink run (python-docx has no public API for one)."""
    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "0B5CAD")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(colour)
    props.append(underline)
    run.append(props)
    body = OxmlElement("w:t")
    body.text = xml_safe(text)
    run.append(body)
    link.append(run)
    paragraph._p.append(link)


def _mark(paragraph: Paragraph, status: str, note: str) -> None:
    if not status:
        return
    if paragraph.text:
        paragraph.add_run().add_break(WD_BREAK.LINE)
    label = paragraph.add_run(f"{status}: ")
    label.bold = True
    label.font.color.rgb = RGBColor(0xC1, 0x12, 0x1F) if status == TO_COMPLETE else RGBColor(0x49, 0x50, 0x57)
    hint = paragraph.add_run(xml_safe(note))
    hint.italic = True


def write_docx(log: CPDLog, path: Path, reflections: Mapping[str, str] | None = None) -> Path:
    """The log as an A4 Word document with its own properties, written via a temporary file.

    Every piece of text passes through `xml_safe`: a post holding a control character must not stop
    the document (or a whole report's worth of them) from being written.
    """
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Mm(20)
    now = datetime.now(UTC).replace(microsecond=0)
    props = doc.core_properties
    props.title = xml_safe(f"CPD log: {log.title}")[:255]
    props.author = xml_safe(log.name or f"@{log.handle}")[:255]
    props.subject = "CPD record and reflective account for NMC revalidation"
    props.keywords = "CPD; revalidation; reflective account"
    props.comments = "Prefilled by huddlebot from the record; the reflections are the registrant's own."
    props.last_modified_by = props.author
    props.created = props.modified = now
    props.revision = 1
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(xml_safe(f"CPD log: {log.title}"), level=0)
    legend = doc.add_paragraph()
    legend.add_run(f"{DRAFTED}").bold = True
    legend.add_run(" marks what huddlebot filled in from the record for you to check; ")
    legend.add_run(TO_COMPLETE).bold = True
    legend.add_run(" marks what only you can write.")
    doc.add_heading("CPD record", level=1)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light Grid Accent 1"
    for row in record_rows(log, reflections):
        cells = table.add_row().cells
        cells[0].text = row.label
        paragraph = cells[1].paragraphs[0]
        if row.link:
            _add_hyperlink(paragraph, row.link, row.value)
            paragraph.add_run(f" ({xml_safe(row.link)})")
        elif row.value:
            paragraph.add_run(xml_safe(row.value))
        _mark(paragraph, row.status, row.note)
    if log.questions:
        doc.add_heading("Questions discussed", level=1)
        for number, text in log.questions:
            doc.add_paragraph(xml_safe(f"{number}. {text}"))
    doc.add_heading("Your contributions (evidence)", level=1)
    for c in log.contributions:
        tag = f"A{c.question} · " if c.question is not None else ""
        doc.add_paragraph(xml_safe(f"{tag}{c.local_time} — {c.text}"), style="List Bullet")
    doc.add_heading("Reflective account (NMC)", level=1)
    for row in reflective_account(log, reflections):
        doc.add_heading(xml_safe(row.label), level=2)
        paragraph = doc.add_paragraph(xml_safe(row.value))
        _mark(paragraph, row.status, row.note if row.status == TO_COMPLETE else "check and edit")
    return save_atomic(path, doc.save)


# --- Which events offer logs, and writing them all ------------------------------------------------------


def safe_filename(handle: str) -> str:
    return _SAFE_NAME.sub("_", handle.lstrip("@")) or "participant"


def write_cpd_logs(
    db: Database,
    event_id: int,
    out_dir: Path,
    *,
    formats: tuple[str, ...] = ("md",),
    evidence_url: str | None = "../index.html",
) -> list[Path]:
    """One prefilled log per contributor of an event, in each of `formats` ("md", "docx").

    Nothing for a huddle whose definition does not ask for CPD logs. `evidence_url` is the chat page
    (by default the index.html written beside the cpd/ folder), linked from each log as its evidence.
    """
    with db.session() as session:
        if not cpd_offered(session, event_id):
            return []
        snapshot = load_event(session, event_id)
    assignments = assign_answers(snapshot)
    context = chat_context(snapshot)
    written: list[Path] = []
    handles = sorted({snapshot.author(m).handle for m in snapshot.messages}, key=str.lower)
    for handle in handles:
        log = build_cpd_log(snapshot, handle, assignments, context, evidence_url=evidence_url)
        base = out_dir / safe_filename(handle)
        if "md" in formats:
            target = base.with_suffix(".md")
            write_text_atomic(target, to_markdown(log))
            written.append(target)
        if "docx" in formats:
            written.append(write_docx(log, base.with_suffix(".docx")))
    return written
