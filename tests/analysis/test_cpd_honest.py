"""A CPD log claims only what the record shows about the person who signs it (issue 14, first section)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document

from analysis.answers import assign_answers
from analysis.cpd import build_cpd_log, participation_hours, to_markdown, write_cpd_logs, write_docx
from analysis.summary import summarise
from config.huddle_definition import HuddleDefinition
from tests.analysis.builders import person, post, snapshot
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.models import Definition, Event
from transcripts.snapshot import EventSnapshot, load_event


@pytest.fixture
def seed(db: Database, seed_chat: Path) -> EventSnapshot:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        return load_event(s, event_id)


def _log(seed: EventSnapshot, handle: str):  # type: ignore[no-untyped-def]
    return build_cpd_log(seed, handle, assign_answers(seed))


@pytest.mark.parametrize(
    ("handle", "hours"),
    [("mynameisAndyJ", 0.25), ("AgencyNurse", 0.25), ("WeNurses", 0.25), ("Helen23Wilson", 0.5), ("evelyn_prodger", 1)],
)
def test_hours_are_the_persons_own_participation(seed: EventSnapshot, handle: str, hours: float) -> None:
    log = _log(seed, handle)
    assert (log.hours, log.participatory_hours) == (hours, hours)
    assert "rounded up to the quarter hour" in log.hours_basis or "minimum of 15 minutes" in log.hours_basis
    md = to_markdown(log)
    assert f"| Number of hours | {hours:g} — *Drafted: " in md


def test_hours_round_up_to_the_quarter_with_a_floor() -> None:
    at = datetime(2024, 1, 1, 20, tzinfo=UTC)
    assert participation_hours(at, at) == 0.25
    assert participation_hours(at, at + timedelta(minutes=15)) == 0.25
    assert participation_hours(at, at + timedelta(minutes=16)) == 0.5
    assert participation_hours(at, at + timedelta(minutes=58)) == 1


def test_answered_counts_distinct_questions_apart_from_posts(seed: EventSnapshot) -> None:
    helen = _log(seed, "Helen23Wilson")
    assert helen.answered == [1, 2, 4]
    assert "I posted 6 times" in helen.nature_of_activity
    assert "I answered 3 of the 6 questions (Q1, Q2, Q4)" in helen.nature_of_activity
    evelyn = _log(seed, "evelyn_prodger")
    assert "answered 41" not in evelyn.nature_of_activity and len(evelyn.answered) <= 6


def test_the_host_never_answers_and_is_never_quoted_as_an_answer(seed: EventSnapshot) -> None:
    assignments = assign_answers(seed)
    host = next(p.id for p in seed.people.values() if p.handle == "wehcmanagers")
    assert not [m for m in seed.messages if m.author_id == host and m.id in assignments]
    summary = summarise(seed, assignments)
    quoted = {a.handle for q in summary.questions for a in q.carrying}
    assert "wehcmanagers" not in quoted
    assert "hosted the chat" in _log(seed, "wehcmanagers").nature_of_activity


def test_cohosts_named_on_import_never_answer(db: Database, seed_chat: Path) -> None:
    [(event_id, _)] = import_path(db, seed_chat, cohosts=["@agclayland", "Lyse_e"])
    with db.session() as s:
        snap = load_event(s, event_id)
    assert set(snap.cohosts) == {"agclayland", "Lyse_e"}
    assignments = assign_answers(snap)
    cohost_ids = {p.id for p in snap.people.values() if p.handle in ("agclayland", "Lyse_e")}
    assert not [m for m in snap.messages if m.author_id in cohost_ids and m.id in assignments]
    assert "co-hosted the chat" in build_cpd_log(snap, "Lyse_e", assignments).nature_of_activity


def test_every_nmc_field_is_there_with_a_working_evidence_link(seed: EventSnapshot, tmp_path: Path) -> None:
    log = build_cpd_log(seed, "Helen23Wilson", assign_answers(seed), evidence_url="https://chats.example/events/1")
    md = to_markdown(log)
    for label in (
        "Method", "Topic", "Link to the Code", "Date", "Number of hours", "Number of participatory hours",
        "Brief description of the topic", "How the topic relates to your practice", "Evidence",
    ):  # fmt: skip
        assert f"| {label} |" in md
    assert "](https://chats.example/events/1)" in md
    assert "Transcript of event" not in md
    for theme in ("Prioritise people", "Practise effectively", "Preserve safety", "Promote professionalism and trust"):
        assert f"☐ {theme}" in md
    path = write_docx(log, tmp_path / "log.docx", {"code_themes": "Preserve safety; Practise effectively"})
    with zipfile.ZipFile(path) as z:
        rels = z.read("word/_rels/document.xml.rels").decode()
    assert 'Target="https://chats.example/events/1"' in rels and 'TargetMode="External"' in rels
    cells = [c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells]
    assert any("☒ Practise effectively" in c and "☒ Preserve safety" in c and "☐ Prioritise people" in c for c in cells)


def test_colleagues_handles_in_the_reflective_account_become_a_colleague(seed: EventSnapshot) -> None:
    log = _log(seed, "Helen23Wilson")
    md = to_markdown(log, {"what_you_learned": "@evelyn_prodger's SBAR point; I (@Helen23Wilson) agreed with @Lyse_e"})
    account = md.split("## Reflective account (NMC)")[1]
    assert "evelyn_prodger" not in account and "Lyse_e" not in account
    assert "a colleague's SBAR point" in account and "@Helen23Wilson" in account
    assert "@wehcmanagers When I am not getting" in md.split("## Reflective account")[0]  # own evidence kept


def test_drafted_and_to_complete_are_marked_everywhere(seed: EventSnapshot, tmp_path: Path) -> None:
    log = _log(seed, "Helen23Wilson")
    md = to_markdown(log, {"how_you_changed_practice": "I now use SBAR."})
    account = md.split("## Reflective account (NMC)")[1]
    assert account.count("**To complete:**") == 2 and "*Drafted — check and edit:*" in account
    assert "I now use SBAR." in account
    path = write_docx(log, tmp_path / "log.docx")
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    cells = "\n".join(c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells)
    assert text.count("To complete:") == 3 and "Drafted: check and edit" in text
    assert "Drafted: From your first post at 20:05" in cells and "To complete: Tick the theme" in cells


def test_docx_is_a4_with_its_own_properties(seed: EventSnapshot, tmp_path: Path) -> None:
    log = _log(seed, "Helen23Wilson")
    doc = Document(str(write_docx(log, tmp_path / "log.docx")))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    props = doc.core_properties
    assert props.title == "CPD log: Escalation"
    assert props.author == "@Helen23Wilson" and props.author != "python-docx"
    assert props.created is not None and props.created.year >= 2025


def test_markdown_reads_cleanly_as_plain_text(seed: EventSnapshot) -> None:
    md = to_markdown(_log(seed, "Helen23Wilson"))
    for needless in (r"\#", r"time\(s\)", r"https://t\.co", r"\(", r"\.", r"\0"):
        assert needless not in md, needless
    assert "Oops wrong # #WeHCMs https://twitter.com/helen23wilson/status/1232396011391406081" in md


XML_ILLEGAL = "Bad\x0b bytes\x01 here\x0c and\x1b there\ufffe"


def test_xml_illegal_characters_never_stop_a_word_document(tmp_path: Path) -> None:
    snap = snapshot([person(1, "ann")], [post(5, 1, XML_ILLEGAL)])
    snap.title = "Chat\x01 title"
    log = build_cpd_log(snap, "ann", {})
    path = write_docx(log, tmp_path / "log.docx", {"what_you_learned": "learned\x1b this"})
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "Bad bytes here and there" in text and "learned this" in text


def test_huddles_give_cpd_logs_only_when_their_definition_asks(db: Database, tmp_path: Path) -> None:
    snap_start = datetime(2024, 7, 1, 7, 30, tzinfo=UTC)
    with db.session() as s:
        ids = []
        for wanted in (None, True):
            fields = {"name": "ward", "channel": "C1", "days": ["mon"], "time": "07:45", "prompts": ["Staffing"]}
            body = HuddleDefinition.model_validate(fields | ({} if wanted is None else {"cpd_logs": wanted}))
            body = body.model_dump(mode="json")
            definition = Definition(kind="huddle", name="ward", body=body)
            s.add(definition)
            s.flush()
            event = Event(kind="huddle", title="ward", channel="C1", starts_at=snap_start, definition_id=definition.id)
            s.add(event)
            s.flush()
            ids.append(event.id)
    from transcripts.message import Author, Message
    from transcripts.store import store_messages

    with db.session() as s:
        for event_id in ids:
            store_messages(
                s,
                event_id,
                [
                    Message(
                        platform="slack", id=f"{event_id}.1", channel="C1",
                        author=Author(platform="slack", id="U1", handle="ann"), text="Beds are tight",
                        created_at=snap_start + timedelta(minutes=3),
                    )
                ],
            )  # fmt: skip
    assert write_cpd_logs(db, ids[0], tmp_path / "off") == []
    assert [p.name for p in write_cpd_logs(db, ids[1], tmp_path / "on")] == ["ann.md"]
