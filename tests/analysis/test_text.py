"""Terms are what a chat is about: markup, dates, markers, filler and stopwords go; phrases stay whole."""

from __future__ import annotations

from collections import Counter

from analysis.text import STOPWORDS, term_counts, terms, themes


def test_markup_dates_markers_emoji_and_filler_are_dropped() -> None:
    text = (
        "RT @NHS_Staff: Thanks everyone for joining tonight! 😀 Q1: What does good practice look like? "
        "https://t.co/Ab12Cd pic.twitter.com/xyz 8pm Tuesday 1st March 2020, 3 wards A1: #PatientSafety"
    )
    assert terms(text) == ["good practice", "ward"]  # word forms merged (wards -> ward); "look" is generic


def test_url_fragments_and_status_links_leave_nothing() -> None:
    assert terms("twitter.com/wehcms/status/1232406868093059072 https www.example.org/page t.co/uM6b01saE8") == []


def test_known_phrases_are_one_term() -> None:
    got = terms("A6: Mental health nurses on call — the skill mix matters")
    assert got == ["mental health", "nurse", "on call", "skill mix", "matter"]


def test_domain_words_are_not_stopwords() -> None:
    lemmas = {"staffing": "staff"}  # the lemmatiser's dictionary form
    for word in ("escalation", "safety", "staffing", "sbar", "culture", "handover", "nurse", "patient"):
        assert word not in STOPWORDS
        assert terms(word) == [lemmas.get(word, word)]


def test_bigrams_recurring_across_posts_become_phrases() -> None:
    counts = term_counts(["handover board helps", "the handover board", "our handover board works", "board meeting"])
    assert counts["handover board"] == 3
    assert counts["board"] == 1  # the fourth post's "board" is not part of the phrase
    assert "handover" not in counts


def test_a_bigram_said_in_fewer_posts_stays_split() -> None:
    counts = term_counts(["handover board helps", "handover board works"])
    assert "handover board" not in counts and counts["handover"] == 2


def test_themes_are_distinctive_against_the_background() -> None:
    background = Counter({"escalation": 50, "sbar": 2, "staff": 2})
    assert themes(["sbar escalation", "sbar staffing", "staffing escalation"], top=2, background=background) == [
        "sbar",
        "staff",
    ]


def test_themes_break_ties_alphabetically_and_are_stable() -> None:
    texts = ["zeta alpha", "beta", "gamma"]
    assert themes(texts, top=3) == ["alpha", "beta", "gamma"]
    assert themes(list(reversed(texts)), top=3) == ["alpha", "beta", "gamma"]
    assert themes([], top=3) == []
