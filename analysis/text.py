"""Turning posts and bios into the terms clouds and themes are made of.

A chat's raw words are dominated by who was there (handles), where (hashtags), links, `RT`, dates and
Q/A markers; none of that says what the chat was about. `terms` removes them, drops stopwords and
chat pleasantries, and keeps phrases that belong together ("human factors", "on call") as one term,
so a cloud of the seed chat is about escalation rather than about the people or the date.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import pairwise

from wordcloud import STOPWORDS as _WORDCLOUD_STOPWORDS

# Phrases that mean something only together; bigrams seen often across a chat are added at run time.
KNOWN_PHRASES = frozenset(
    {
        "human factors", "on call", "patient safety", "mental health", "good practice", "skill mix",
        "social care", "health care", "primary care", "community care", "safe staffing", "out of hours",
        "decision making", "escalation process", "escalation processes", "bed management", "team work",
        "learning disability", "end of life", "duty of candour", "speaking up", "freedom to speak up",
        "just culture", "no blame", "senior nurse", "site manager", "clinical lead", "front line",
    }
)  # fmt: skip

MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
DAYS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "today", "tomorrow", "yesterday",
}  # fmt: skip
CHAT_FILLER = {
    "rt", "via", "amp", "thanks", "thank", "thx", "hi", "hello", "hey", "welcome", "evening", "tonight",
    "night", "morning", "chat", "chats", "tweetchat", "tweet", "tweets", "twitter", "join", "joining",
    "joined", "great", "yes", "yeah", "no", "ok", "okay", "lol", "oops", "yay", "glad", "lovely", "hope",
    "really", "just", "also", "much", "many", "lot", "lots", "think", "thinks", "thought", "say", "said",
    "get", "got", "going", "go", "one", "two", "three", "four", "five", "six", "first", "question",
    "questions", "answer", "answers", "final", "im", "ive", "id", "dont", "didnt", "doesnt", "cant", "youre",
    "thats", "theres", "its", "isnt", "wont", "us", "will", "can", "may", "might", "must", "would", "could",
    "etc", "eg", "ie", "bit", "well", "way", "everyone", "anyone", "someone", "something", "things", "thing",
    "sure", "absolutely", "definitely", "totally", "pretty", "know", "see", "like", "make", "made",
    "https", "http", "www", "com", "org", "co", "uk", "status", "t", "s", "re", "ve", "ll", "d", "m",
}  # fmt: skip
STOPWORDS = frozenset({w.lower().replace("'", "") for w in _WORDCLOUD_STOPWORDS} | MONTHS | DAYS | CHAT_FILLER)

_STRIP_RE = re.compile(
    "|".join(
        (
            r"(?:https?://|www\.)\S+|\b\S+\.(?:com|org|net|co\.uk|uk|ly|co|io)(?:/\S*)?",  # URLs and domains
            r"[@＠]\w+",  # handles
            r"[#＃]\w+",  # hashtags
            r"\b[AaQq]\s?\d{1,2}\b",  # Q/A markers
            r"\b\d{1,2}[:.]\d{2}\s*(?:am|pm)?\b|\b\d{1,2}\s*(?:am|pm)\b",  # times
        )
    ),
    re.I,
)
_WORD_RE = re.compile(r"[a-z]+(?:['’\-][a-z]+)*")
_MIN_PHRASE_COUNT = 3
# Greetings name people ("Hi, I'm Marc", "Welcome Emma!", "Teresa here"): the cloud is about the topic.
_NAME_RES = (
    re.compile(r"\b(?:I'm|I’m|I am|[Ww]elcome|[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Tt]hank you)[\s,\-]+([A-Z][a-z]{2,})\b"),
    re.compile(r"\bfor joining us,? ([A-Z][a-z]{2,})\b"),
    re.compile(r"\b([A-Z][a-z]{2,}) here\b"),
)


def words(text: str) -> list[str]:
    """Lower-case words with handles, hashtags, URLs, times, numbers and Q/A markers taken out."""
    out = []
    for word in _WORD_RE.findall(_STRIP_RE.sub(" ", text).lower()):
        if "'" in word or "’" in word:
            word = word.replace("’", "'")
            if word.endswith("'s"):
                word = word[:-2]
            word = word.replace("'", "")
        out.append(word)
    return out


def _keep(word: str) -> bool:
    return len(word) > 2 and word not in STOPWORDS


def terms(text: str, phrases: frozenset[str] = KNOWN_PHRASES) -> list[str]:
    """The meaningful terms of one text, phrases joined ("human factors") and stopwords dropped."""
    return terms_of_words(words(text), phrases)


def terms_of_words(ws: list[str], phrases: frozenset[str]) -> list[str]:
    out: list[str] = []
    i = 0
    n = len(ws)
    while i < n:
        if n - i >= 3 and " ".join(ws[i : i + 3]) in phrases:
            out.append(" ".join(ws[i : i + 3]))
            i += 3
        elif n - i >= 2 and f"{ws[i]} {ws[i + 1]}" in phrases:
            out.append(f"{ws[i]} {ws[i + 1]}")
            i += 2
        else:
            if _keep(ws[i]):
                out.append(ws[i])
            i += 1
    return out


def _phrases_of(tokenised: Iterable[list[str]], min_count: int) -> frozenset[str]:
    seen: Counter[str] = Counter()
    for ws in tokenised:
        seen.update({f"{a} {b}" for a, b in pairwise(ws) if _keep(a) and _keep(b)})
    return KNOWN_PHRASES | {p for p, n in seen.items() if n >= min_count}


def frequent_phrases(texts: Sequence[str], *, min_count: int = _MIN_PHRASE_COUNT) -> frozenset[str]:
    """Known phrases plus content bigrams that recur in several different posts of this chat."""
    return _phrases_of((words(t) for t in texts), min_count)


class Corpus:
    """The texts of one event, each tokenised once; counts, themes and clouds of any subset read from it.

    A 50,000-post chat's report counts terms for the whole chat, each question, each cloud and each
    person's CPD log: tokenising once instead of each time is what keeps that within seconds.
    """

    def __init__(self, texts: Mapping[int, str]) -> None:
        tokenised = {key: words(text) for key, text in texts.items()}
        self.texts = texts
        self.phrases = _phrases_of(tokenised.values(), _MIN_PHRASE_COUNT)
        self.terms: dict[int, list[str]] = {k: terms_of_words(ws, self.phrases) for k, ws in tokenised.items()}

    def counts(self, keys: Iterable[int] | None = None, *, exclude: Collection[str] = ()) -> Counter[str]:
        counts: Counter[str] = Counter()
        for key in self.terms if keys is None else keys:
            counts.update(self.terms[key])
        for term in exclude:
            counts.pop(term, None)
        return counts

    def themes(
        self,
        keys: Iterable[int] | None = None,
        *,
        top: int = 5,
        background: Counter[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[str]:
        return rank_themes(self.counts(keys, exclude=exclude), top=top, background=background)


def term_counts(texts: Iterable[str], *, exclude: Collection[str] = ()) -> Counter[str]:
    """How often each term is used across texts, with the recurring phrases of these texts kept together."""
    materialised = list(texts)
    return Corpus(dict(enumerate(materialised))).counts(exclude=exclude)


def themes(
    texts: Sequence[str],
    *,
    top: int = 5,
    background: Counter[str] | None = None,
    exclude: Collection[str] = (),
) -> list[str]:
    """Terms frequent in `texts` and distinctive against `background` (see `rank_themes`)."""
    return rank_themes(term_counts(texts, exclude=exclude), top=top, background=background)


def people_names(texts: Iterable[str], names: Iterable[str | None] = ()) -> set[str]:
    """Names to keep out of clouds and themes: those people greet each other with, and profile names."""
    known = {part.lower() for name in names for part in (name or "").split()}
    return introduced_names(texts) | known


def introduced_names(texts: Iterable[str]) -> set[str]:
    """First names people use to greet or introduce themselves, lower-cased, to leave out of clouds."""
    materialised = list(texts)
    names: set[str] = set()
    for text in materialised:
        for pattern in _NAME_RES:
            names.update(m.lower() for m in pattern.findall(text))
    # A word also written in lower case ("culture") is a word, not a name.
    lower_words = {w for text in materialised for w in re.findall(r"\b[a-z]+\b", text)}
    return {n for n in names if n not in STOPWORDS and n not in lower_words}


def rank_themes(counts: Counter[str], *, top: int = 5, background: Counter[str] | None = None) -> list[str]:
    """Frequent terms, scored tf-idf-like against `background` when given.

    Without a background this is simply the most frequent terms. Ties break alphabetically so the
    same record always gives the same themes.
    """
    if not counts:
        return []
    if background:
        total_bg = sum(background.values()) or 1
        total = sum(counts.values())

        def score(term: str) -> float:
            share = counts[term] / total
            bg_share = (background.get(term, 0) + 1) / (total_bg + len(background))
            return counts[term] * math.log(1 + share / bg_share)

        ranked = sorted((t for t in counts if counts[t] > 1 or len(counts) <= top), key=lambda t: (-score(t), t))
    else:
        ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return ranked[:top]
