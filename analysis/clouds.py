"""The word cloud of what was said and the bio cloud of who said it.

Frequencies are built with `analysis.text` and drawn with `WordCloud.generate_from_frequencies`, so
phrases stay whole and nothing is re-tokenised by the drawing library. The drawing is seeded, so the
same record always gives the same picture.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from analysis.event_text import EventText, event_text
from analysis.text import term_counts
from transcripts.snapshot import EventSnapshot, field_of

MAX_TERMS = 120
PALETTE = ("#0b5cad", "#2a6f97", "#1d7874", "#6a4c93", "#c1121f", "#495057")


def cloud_weights(counts: Counter[str]) -> Counter[str]:
    """A phrase weighs as much as its words would have apart: joining "human factors" into one term must
    not make the topic smaller in the cloud than "human" and "factors" were on their own."""
    return Counter({term: n * len(term.split()) for term, n in counts.items()})


def word_cloud_terms(snapshot: EventSnapshot, text: EventText | None = None) -> Counter[str]:
    """Terms of the original posts (reposts would count the same words twice), without people's names."""
    return (text or event_text(snapshot)).counts()


def bio_cloud_terms(snapshot: EventSnapshot) -> Counter[str]:
    """Terms of contributors' bios, each person's bio counted once however much they posted."""
    authors = set(field_of(snapshot.messages, "author_id"))
    return term_counts(snapshot.people[a].bio or "" for a in sorted(authors) if snapshot.people[a].bio)


def _colour(word: str, **_: object) -> str:
    return PALETTE[sum(map(ord, word)) % len(PALETTE)]


def render_cloud(counts: Mapping[str, int], path: Path, *, title: str) -> Path | None:
    """Draw the cloud as a PNG; None when there is nothing to draw (the page says so instead).

    wordcloud (and matplotlib under it) loads here, not with the module: only drawing needs it."""
    from PIL.PngImagePlugin import PngInfo
    from wordcloud import WordCloud

    frequencies = dict(cloud_weights(Counter(counts)).most_common(MAX_TERMS))
    if not frequencies:
        return None
    cloud = WordCloud(
        width=1200,
        height=600,
        background_color="white",
        random_state=7,
        prefer_horizontal=0.9,
        color_func=_colour,
        collocations=False,
        max_words=MAX_TERMS,
    ).generate_from_frequencies(frequencies)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = PngInfo()
    info.add_text("Title", title)  # says which cloud this is when the file is opened on its own
    cloud.to_image().save(path, format="PNG", optimize=True, pnginfo=info)
    return path
