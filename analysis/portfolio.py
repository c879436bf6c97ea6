"""One person's CPD portfolio across every chat they joined, against the NMC's revalidation targets.

The NMC asks for 35 hours of CPD in the three years before revalidation, at least 20 of them
participatory; HCPC registrants keep a dated list of activities with what they learned. Each activity
here is one event's CPD log (hours from the person's own participation, as in `analysis.cpd`), so the
portfolio claims no more than the logs do. Events outside the three-year period are listed and marked,
not counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Mm, Pt
from sqlalchemy import func, select

from analysis.answers import assign_answers
from analysis.cpd import build_cpd_log, format_hours, md_text, xml_safe
from analysis.cpd_offer import cpd_offered
from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.exporters.atomic import save_atomic, write_text_atomic
from transcripts.models import SHOWN, MessageRow, Participant
from transcripts.snapshot import load_event

NMC_HOURS = 35.0
NMC_PARTICIPATORY_HOURS = 20.0
PERIOD_YEARS = 3


@dataclass(frozen=True, slots=True)
class Activity:
    date: date
    event_id: int
    title: str
    hashtag: str | None
    method: str
    description: str
    hours: float
    participatory_hours: float
    posts: int
    answered: tuple[int, ...]
    in_period: bool
    running_hours: float
    running_participatory: float
    evidence_url: str | None


@dataclass(slots=True)
class Portfolio:
    handle: str
    period_start: date
    period_end: date
    activities: list[Activity] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return round(sum(a.hours for a in self.activities if a.in_period), 2)

    @property
    def participatory_hours(self) -> float:
        return round(sum(a.participatory_hours for a in self.activities if a.in_period), 2)

    def totals_sentence(self) -> str:
        return (
            f"From {self.period_start:%d %B %Y} to {self.period_end:%d %B %Y}: {format_hours(self.hours)} of the "
            f"NMC's {NMC_HOURS:g} hours of CPD, {format_hours(self.participatory_hours)} of the "
            f"{NMC_PARTICIPATORY_HOURS:g} participatory hours."
        )


def _three_years_before(end: date) -> date:
    try:
        return end.replace(year=end.year - PERIOD_YEARS)
    except ValueError:  # 29 February
        return end.replace(year=end.year - PERIOD_YEARS, day=28)


def build_portfolio(
    db: Database,
    handle: str,
    *,
    period_end: date | None = None,
    page_url: str | None = None,
    visible: Callable[[int], bool] | None = None,
) -> Portfolio:
    """Every event the handle posted in (and that offers CPD logs), oldest first, with running totals.

    `page_url` is a template such as "https://host/events/{event_id}" for each activity's evidence link;
    `visible` keeps only the events a web visitor may see (a huddle is its workspace's only).
    """
    wanted = handle.strip().lstrip("@")
    end = period_end or datetime.now(UTC).date()
    portfolio = Portfolio(wanted, _three_years_before(end), end)
    with db.session() as session:
        event_ids = sorted(
            session.scalars(
                select(MessageRow.event_id)
                .join(Participant, Participant.id == MessageRow.participant_id)
                .where(func.lower(Participant.handle) == wanted.lower(), SHOWN)
                .distinct()
            )
        )
        wanted_ids = [e for e in event_ids if cpd_offered(session, e) and (visible is None or visible(e))]
        snapshots = [load_event(session, e) for e in wanted_ids]
    if not snapshots:
        raise RecordError(f"@{wanted}", "took part in no event that offers CPD logs")
    logs = []
    for snap in snapshots:
        url = page_url.format(event_id=snap.id) if page_url else None
        logs.append(build_cpd_log(snap, wanted, assign_answers(snap), evidence_url=url))
    logs.sort(key=lambda log: (log.iso_date, log.start, log.event_id))
    running = running_part = 0.0
    for log in logs:
        day = date.fromisoformat(log.iso_date)
        in_period = portfolio.period_start <= day <= end
        if in_period:
            running += log.hours
            running_part += log.participatory_hours
        portfolio.activities.append(
            Activity(
                date=day,
                event_id=log.event_id,
                title=f"{log.hashtag + ' ' if log.hashtag else ''}{log.title}",
                hashtag=log.hashtag,
                method=log.method,
                description=log.description,
                hours=log.hours,
                participatory_hours=log.participatory_hours,
                posts=log.posts,
                answered=tuple(log.answered),
                in_period=in_period,
                running_hours=round(running, 2),
                running_participatory=round(running_part, 2),
                evidence_url=log.evidence_url,
            )
        )
    return portfolio


def _md(text: str) -> str:
    return md_text(text, in_table=True)


def portfolio_markdown(portfolio: Portfolio) -> str:
    """The dated list with running totals against the NMC's 35 hours (20 participatory)."""
    lines = [
        f"# CPD portfolio: @{_md(portfolio.handle)}",
        "",
        portfolio.totals_sentence(),
        "",
        "| Date | Activity | Method | Hours | Participatory hours | Running total (h) | Running participatory (h) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in portfolio.activities:
        running = (
            (format_hours(a.running_hours), format_hours(a.running_participatory))
            if a.in_period
            else ("before this period", "—")
        )
        lines.append(
            f"| {a.date:%d %b %Y} | {_md(a.title)} | {_md(a.method)} | {format_hours(a.hours)} | "
            f"{format_hours(a.participatory_hours)} | {running[0]} | {running[1]} |"
        )
    lines += [
        "",
        "Hours are drafted from your own posts in each event (first to last post, rounded up to the quarter "
        "hour, at least 15 minutes); correct them in each event's CPD log if you spent longer or less.",
    ]
    return "\n".join(lines) + "\n"


HCPC_COLUMNS = (
    "date", "activity", "type", "description", "hours", "participatory_hours", "what_i_learned", "evidence",
)  # fmt: skip


def _hcpc_rows(portfolio: Portfolio) -> list[dict[str, str]]:
    return [
        {
            "date": a.date.isoformat(),
            "activity": a.title,
            "type": a.method,
            "description": a.description,
            "hours": format_hours(a.hours),
            "participatory_hours": format_hours(a.participatory_hours),
            "what_i_learned": "To complete",
            "evidence": a.evidence_url or f"event {a.event_id}",
        }
        for a in portfolio.activities
    ]


def _csv_cell(value: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula: such text is quoted to stay text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def portfolio_csv(portfolio: Portfolio) -> str:
    """The HCPC dated activity list as CSV."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HCPC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _hcpc_rows(portfolio):
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return out.getvalue()


def write_portfolio_docx(portfolio: Portfolio, path: Path) -> Path:
    """The HCPC dated activity list, with the NMC totals, as an A4 Word document."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(297), Mm(210)  # A4 landscape: the list is wide
    section.orientation = WD_ORIENT.LANDSCAPE
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    now = datetime.now(UTC).replace(microsecond=0)
    props = doc.core_properties
    props.title = xml_safe(f"CPD portfolio: @{portfolio.handle}")
    props.author = xml_safe(f"@{portfolio.handle}")
    props.subject = "CPD activity list for revalidation (NMC) and HCPC audit"
    props.comments = "Prefilled by huddlebot from the record."
    props.last_modified_by = props.author
    props.created = props.modified = now
    props.revision = 1
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(xml_safe(f"CPD portfolio: @{portfolio.handle}"), level=0)
    doc.add_paragraph(portfolio.totals_sentence())
    table = doc.add_table(rows=1, cols=len(HCPC_COLUMNS))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, HCPC_COLUMNS, strict=True):
        cell.text = name.replace("_", " ").capitalize()
    for row in _hcpc_rows(portfolio):
        cells = table.add_row().cells
        for cell, name in zip(cells, HCPC_COLUMNS, strict=True):
            cell.text = xml_safe(row[name])
    return save_atomic(path, doc.save)


def write_portfolio(portfolio: Portfolio, path: Path, fmt: str) -> Path:
    if fmt == "docx":
        return write_portfolio_docx(portfolio, path)
    write_text_atomic(path, portfolio_csv(portfolio) if fmt == "csv" else portfolio_markdown(portfolio))
    return path
