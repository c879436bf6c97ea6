"""The language(s) a chat is written in, their stopwords and their lemmas, from maintained packages.

A hand-kept English stopword list lets "che, non, per, que, los" into an Italian or Spanish chat's
cloud. simplemma (lemmas and language detection) and stopwords-iso (stopword lists by ISO 639-1 code)
both ship their data inside the package: nothing is downloaded at run time and no model is loaded.
A post's language is the one whose stopwords (function words) cover most of it.
Detection reads a bounded sample of the posts, so a 50,000-post chat costs no more than a small one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import simplemma
import stopwordsiso

DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)
# Languages health and care chats are held in that both packages cover; detection chooses among these.
CANDIDATES: tuple[str, ...] = ("en", "es", "fr", "de", "it", "pt", "nl", "sv", "da", "pl", "ga", "cy")
SAMPLE_POSTS = 400
MIN_SHARE = 0.2  # a language that a fifth of the posts are written in is one of the chat's languages
_MIN_WORDS = 4  # shorter posts ("Hi all!") say little about their language


def _candidates() -> tuple[str, ...]:
    return tuple(c for c in CANDIDATES if stopwordsiso.has_lang(c))


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def post_language(text: str, candidates: tuple[str, ...] | None = None) -> str | None:
    """The language whose stopwords cover most of a post's words; None when too short or a tie.

    Function words are what tells languages apart in a short post, and stopword lists are exactly
    those: no model is needed, and each language's list is loaded once.
    """
    found = _WORD.findall(text)
    if len(found) < _MIN_WORDS:
        return None
    found = [w.lower().replace("’", "'") for w in found]
    scores = sorted(
        (
            (sum(map(stopwords.__contains__, found)), lang)
            for stopwords, lang in _stopword_lists(candidates or _candidates())
        ),
        reverse=True,
    )
    (best, lang), (second, _) = scores[0], scores[1]
    return lang if best >= 2 and best > second else None


@lru_cache(maxsize=8)
def _stopword_lists(candidates: tuple[str, ...]) -> tuple[tuple[frozenset[str], str], ...]:
    """Each candidate language's stopwords with its code, looked up once for all the posts of a sample."""
    return tuple((language_stopwords((lang,)), lang) for lang in candidates)


def dominant_languages(texts: Iterable[str]) -> tuple[str, ...]:
    """The chat's language(s): those of at least a fifth of a sample of its posts; English if unsure."""
    votes: Counter[str] = Counter()
    candidates = _candidates()
    for text in texts:
        lang = post_language(text, candidates)
        if lang is not None:
            votes[lang] += 1
        if sum(votes.values()) >= SAMPLE_POSTS:
            break
    counted = sum(votes.values())
    if not counted:
        return DEFAULT_LANGUAGES
    chosen = tuple(sorted((lang for lang, n in votes.items() if n / counted >= MIN_SHARE), key=lambda g: -votes[g]))
    return chosen or DEFAULT_LANGUAGES


@lru_cache(maxsize=32)
def language_stopwords(languages: tuple[str, ...]) -> frozenset[str]:
    """The stopwords-iso lists of these languages, lower-cased, apostrophes removed."""
    words: set[str] = set()
    for lang in languages:
        if stopwordsiso.has_lang(lang):
            words |= {w.lower().replace("’", "'") for w in stopwordsiso.stopwords(lang)}
            words |= {w.replace("'", "") for w in words}
    return frozenset(words)


@lru_cache(maxsize=200_000)
def lemma(word: str, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> str:
    """The dictionary form of a lower-case word in the chat's language(s) (escalating -> escalate)."""
    try:
        found = simplemma.lemmatize(word, lang=languages if len(languages) > 1 else languages[0])
    except ValueError:  # a language simplemma does not know: the word as written
        return word
    return found.lower() if found else word
