"""The seed's word cloud is about escalation, not about the people, the hashtag or the date."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from analysis.clouds import bio_cloud_terms, render_cloud, word_cloud_terms
from analysis.text import DAYS, MONTHS, terms
from tests.analysis.builders import person, post, snapshot
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.snapshot import EventSnapshot, load_event


def _seed(db: Database, seed_chat: Path) -> EventSnapshot:
    [(event_id, _)] = import_path(db, seed_chat)
    with db.session() as s:
        return load_event(s, event_id)


def test_seed_cloud_has_no_handles_hashtags_urls_dates_or_markers(db: Database, seed_chat: Path) -> None:
    snap = _seed(db, seed_chat)
    cloud = word_cloud_terms(snap)
    words = {w for term in cloud for w in term.split()}
    handles = {p.handle.lower() for p in snap.people.values()}
    handles |= {h.lower() for m in snap.messages for h in m.mentions}
    hashtags = {h.lstrip("#").lower() for m in snap.messages for h in m.hashtags}
    # "#escalation" is a hashtag, but "escalation" is also said plainly: only hashtag-only words must go
    hashtag_only = {h for h in hashtags if not any(re.search(rf"(?<![#\w]){h}\b", m.text, re.I) for m in snap.messages)}
    assert {"wehcms", "bigquestions"} <= hashtag_only
    url_parts = {part.lower() for m in snap.messages for u in m.urls for part in re.split(r"[/:.?=&]+", u) if part}
    assert not words & handles
    assert not words & hashtag_only
    assert not words & url_parts
    assert not words & (MONTHS | DAYS)
    assert not {w for w in words if re.fullmatch(r"[aq]\d{1,2}|rt|\d+", w)}
    assert cloud.most_common(1)[0][0] == "escalation"
    assert "human factors" in cloud and "on call" in cloud  # phrases kept whole
    assert not {"marc", "evelyn", "loretta"} & words  # names from greetings are people, not topics


def test_terms_strip_markup_of_a_chat_post() -> None:
    got = terms("@wehcmanagers A3: SBAR helps on call at 20:05 on 25 February 2020 https://t.co/uM6b01saE8 #WeHCMs")
    assert got == ["SBAR", "on call"]  # the acronym as written; "helps" is an English stopword (stopwords-iso)


def test_bio_cloud_counts_each_person_once_and_is_empty_without_bios(
    db: Database, seed_chat: Path, tmp_path: Path
) -> None:
    snap = _seed(db, seed_chat)
    assert not bio_cloud_terms(snap)
    assert render_cloud(bio_cloud_terms(snap), tmp_path / "bio.png", title="bios") is None
    path = render_cloud(word_cloud_terms(snap), tmp_path / "words.png", title="words")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bio_cloud_counts_each_bio_once_per_person() -> None:
    people = [person(1, "ann", "Ward sister, patient safety"), person(2, "bob", "Matron. Patient safety lead")]
    snap = snapshot(people, [post(m, 1, "hello") for m in range(1, 6)] + [post(9, 2, "hi")])
    assert bio_cloud_terms(snap) == Counter({"patient safety": 2, "ward": 1, "sister": 1, "matron": 1, "lead": 1})
