"""Clouds and themes read like topics (issue 14): word forms merged, acronyms in capitals, generic words
gone, questions in their own words and posts in the source's order; stopwords of the chat's language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analysis.answers import assign_answers
from analysis.cpd import build_cpd_log
from analysis.languages import dominant_languages
from analysis.question_text import clean_question
from analysis.report import build_report, largest_terms, render_page
from analysis.text import term_counts
from tests.analysis.builders import person, post, snapshot
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import EventSnapshot, PromptView, load_event

GENERIC = {"good", "need", "want", "people", "even", "often", "always", "never", "though", "getting"}


@pytest.fixture
def seed(db: Database, seed_chat: Path) -> EventSnapshot:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        return load_event(s, event_id)


def test_the_seed_cloud_meets_the_bar(seed: EventSnapshot) -> None:
    report = build_report(seed)
    ten = largest_terms(report.word_terms, top=10)
    assert {"escalation", "SBAR", "culture", "on call", "human factors"} <= set(ten), ten
    assert not GENERIC & set(largest_terms(report.word_terms, top=120))
    assert not {"escalating", "escalated", "escalate", "issues"} & set(report.word_terms)
    assert not GENERIC & set(report.summary.themes)
    assert (report.stats.messages, report.stats.contributors, report.stats.reposts) == (171, 14, 5)


def test_helens_themes_are_topics_not_frequent_english(seed: EventSnapshot) -> None:
    log = build_cpd_log(seed, "Helen23Wilson", assign_answers(seed))
    assert log.own_themes != ["getting", "need", "options", "required", "requires"]
    assert not GENERIC & set(log.own_themes) and not {"option", "options", "require", "required"} & set(log.own_themes)


def test_word_forms_merge_and_acronyms_stay_capitals() -> None:
    counts = term_counts(["Escalating early helps", "we escalated it via SBAR", "escalation matters", "NHS issues"])
    assert counts["escalation"] == 3 and counts["SBAR"] == 1 and counts["NHS"] == 1 and counts["issue"] == 1


def test_question_text_is_the_question_only() -> None:
    posted = "FINAL QUESTION Question Six: If you could change one thing, what? #WeHCMs https://t.co/N45XlJ639Q"
    assert clean_question(posted, "#WeHCMs") == "If you could change one thing, what?"
    assert clean_question("Q3: What helps with #SBAR? #WeNurses", "#WeNurses") == "What helps with #SBAR?"


def _replayed_chat() -> EventSnapshot:
    """Like the demo: replies stamped to the minute, the bot's question posted seconds into that minute."""
    people = [person(1, "host"), person(2, "ann")]
    at = datetime(2020, 2, 25, 20, 3, tzinfo=UTC)
    messages = [
        post(1, 2, "@host Hi, first question just posted I see", created_at=at),
        post(2, 1, "Question One: What is escalation? #t https://t.co/abc", created_at=at.replace(second=17)),
        post(3, 2, "A1 escalation is asking for help", created_at=at.replace(minute=5)),
    ]
    snap = snapshot(people, messages)
    snap.host = "host"
    snap.prompts = [PromptView(9, "question", 1, messages[1].text, at, at.replace(second=17), frozenset({"p2"}))]
    return snap


def test_question_posts_come_first_in_their_minute_and_everywhere_read_clean() -> None:
    report = build_report(_replayed_chat())
    html = render_page(report, {})
    head = html.split('id="transcript"')[0]
    assert "Question One:" not in head and "https://t.co/abc" not in head
    assert "Q1. What is escalation?" in html
    body = html.split("Q1. What is escalation?")[-1]
    assert body.index("Question One: What is escalation?") < body.index("first question just posted")
    assert report.summary.questions[0].text == "What is escalation?"
    assert report.stats.questions[0].text == "What is escalation?"


def test_language_stopwords_follow_the_chats_language() -> None:
    italian = [
        "Non è facile per la strada che abbiamo fatto con il team",
        "Per me la comunicazione non è mai semplice in reparto",
        "Che cosa possiamo fare per la sicurezza dei pazienti",
        "La cultura della sicurezza è per tutti noi",
    ]
    assert dominant_languages(italian) == ("it",)
    counts = term_counts(italian)
    assert not {"che", "non", "per", "la", "il", "con"} & set(counts)
    assert {"sicurezza", "cultura"} <= set(counts)
    spanish = ["Que los pacientes no tienen la culpa de esto", "Los equipos de enfermería que trabajan por la noche"]
    assert not {"que", "los", "por"} & set(term_counts(spanish * 2))
