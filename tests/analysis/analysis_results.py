"""What the chat analysis says about a record, as plain JSON data, to pin it while its code is made faster.

`results_of` gathers everything `analysis.report.build_report` computes (stats, assignments, summary,
clouds, engagement) plus the text analysis underneath (each post's terms, the chat's phrases, languages
and the names left out); `tricky_results` does the same for hand-written posts that exercise the corner
cases a generated chat never has (apostrophes, links, acronyms, greetings, other languages).

The pinned file `data/analysis_results.json` was written by the code before the speed-up (base commit
054fc28), by running this module as a script with that checkout first on the path:

    PYTHONPATH=/tmp/base-text python tests/analysis/analysis_results.py tests/analysis/data/analysis_results.json

It imports nothing from `tests`, so it runs against any checkout's `analysis` and `transcripts`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from analysis.event_text import event_text
from analysis.report import build_report
from analysis.text import Corpus, people_names, term_counts, terms, themes
from benchmarks.generate_x_chat import generate
from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.samples import SEED_CHAT
from transcripts.snapshot import EventSnapshot, load_event

GENERATED_POSTS = 3000
GENERATED_AUTHORS = 150

TRICKY = [
    "Hi, I'm Marc and I work on call in out of hours care. Escalating early helps!",
    "Welcome Emma! SBAR is how we escalate; the escalation process isn't always clear.",
    "Teresa here - thanks for joining us, Priya. Human factor training matters on-call",
    "@wehcmanagers A1 we escalated it via SBAR at 8pm: https://example.org/escalation?x=1 #WeHCMs",
    "Q2 the NHS's OPEL levels; human factors and patient safety, patient safety, PATIENT safety",
    "RT @someone: It’s the ward’s culture — don’t blame, learn. Just culture & no blame www.nhs.uk",
    "A3: end of life care, duty of candour and freedom to speak up. Marc's point on speaking up is key",
    "Issues issues ISSUES: escalate, escalating, escalation; connect and connection; the team connects",
    "Che cosa significa per voi la sicurezza del paziente e la cultura della segnalazione?",
    "La cultura della sicurezza non è una cosa che si costruisce in un giorno per il personale",
    "Que los pacientes no tienen la culpa de esto y los equipos de enfermería lo saben",
    "Los equipos de enfermería que trabajan por la noche necesitan apoyo y escalada clara",
    "Les infirmières de nuit ont besoin d'un soutien clair et d'une escalade rapide",
    "xhttps://nope.com pre-A1 well-known.com foo.community 10:30am 9 pm q12 A 7 café naïve ＠handle ＃tag",
    "Sam here, hi Sam! hello Sam. sam is a word too; Bob here and Bob again, thank you Olivia",
    "skill mix, skill mix and skill mix: bed management, team work, team work, decision making",
]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def plain(value: Any) -> Any:
    """The value as JSON reads it back (tuples as lists, numeric keys as strings)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def results_of(snapshot: EventSnapshot, *, full_terms: bool) -> dict[str, Any]:
    """Everything the report's analysis computes for one record; big lists as digests when not `full_terms`."""
    report = build_report(snapshot)
    text = event_text(report.snapshot)
    corpus = text.corpus
    post_terms = {str(k): v for k, v in sorted(corpus.terms.items())}
    stats = report.stats.to_dict()
    people = {m.author_id for m in report.snapshot.messages}
    person_themes = {
        str(pid): text.themes([m.id for m in report.snapshot.messages if m.author_id == pid and not m.is_repost], top=5)
        for pid in sorted(people)
    }
    out: dict[str, Any] = {
        "stats": stats,
        "assignments": {str(k): [a.prompt_id, a.number, a.method] for k, a in sorted(report.assignments.items())},
        "summary": report.summary.to_dict(),
        # In the order counted: a cloud draws the first of equally frequent terms when it has too many.
        "word_terms": list(report.word_terms.items()),
        "bio_terms": list(report.bio_terms.items()),
        "edges": [[e.source, e.target, e.replies, e.mentions] for e in report.edges],
        "languages": list(corpus.languages),
        "acronyms": sorted(corpus.vocabulary.acronyms),
        "phrases": sorted(corpus.phrases),
        "names": sorted(text.names),
        "person_themes": person_themes,
        "post_terms": post_terms,
    }
    if not full_terms:
        for key in ("post_terms", "person_themes", "assignments", "edges", "phrases"):
            out[key] = {"count": len(out[key]), "sha256": _digest(out[key])}
        out["stats"] = {**stats, "participants": {"count": len(stats["participants"]),
                                                  "sha256": _digest(plain(stats["participants"]))}}  # fmt: skip
    return plain(out)


def tricky_results() -> dict[str, Any]:
    """The text analysis of hand-written posts, one at a time and as one chat."""
    corpus = Corpus(dict(enumerate(TRICKY)))
    return plain(
        {
            "terms": [terms(t) for t in TRICKY],
            "corpus_terms": corpus.terms,
            "corpus_languages": corpus.languages,
            "corpus_acronyms": sorted(corpus.vocabulary.acronyms),
            "corpus_phrases": sorted(corpus.phrases),
            "term_counts": list(term_counts(TRICKY).items()),
            "term_counts_excluding": list(term_counts(TRICKY, exclude=["culture", "SBAR"]).items()),
            "themes": themes(TRICKY, top=8),
            "themes_against_background": themes(TRICKY[:8], top=5, background=term_counts(TRICKY)),
            "names": sorted(people_names(TRICKY, ["Dr Ann Lee", None, "Priya"])),
            "italian": Corpus(dict(enumerate(TRICKY[8:10] * 3))).terms,
            "spanish": list(term_counts(TRICKY[10:12] * 2).items()),
            "mixed_languages": Corpus(dict(enumerate(TRICKY[8:13] * 2))).languages,
        }
    )


def load_snapshot(db: Database, path: Path) -> EventSnapshot:
    [(event_id, _)] = import_path(db, path)
    with db.session() as session:
        return load_event(session, event_id)


def generated_chat(folder: Path) -> Path:
    return generate(GENERATED_POSTS, folder / "generated.jsonl", authors=GENERATED_AUTHORS)


def all_results(folder: Path) -> dict[str, Any]:
    seed_db = Database(f"sqlite:///{folder / 'seed.db'}")
    generated_db = Database(f"sqlite:///{folder / 'generated.db'}")
    try:
        return {
            "seed": results_of(load_snapshot(seed_db, SEED_CHAT), full_terms=True),
            "generated": results_of(load_snapshot(generated_db, generated_chat(folder)), full_terms=False),
            "tricky": tricky_results(),
        }
    finally:
        seed_db.dispose()
        generated_db.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        Path(sys.argv[1]).write_text(json.dumps(all_results(Path(tmp)), indent=1, sort_keys=True) + "\n")
