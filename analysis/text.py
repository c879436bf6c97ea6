"""Turning posts and bios into the terms clouds and themes are made of.

A chat's raw words are dominated by who was there (handles), where (hashtags), links, `RT`, dates and
Q/A markers; none of that says what the chat was about. `terms` removes them, drops stopwords and
chat pleasantries, and keeps phrases that belong together ("human factors", "on call") as one term,
so a cloud of the seed chat is about escalation rather than about the people or the date.

Word forms are merged with simplemma, a maintained lemmatiser whose dictionaries ship inside the
package (nothing is downloaded at run time): escalating/escalated/escalate/escalation are one term,
and so are issue/issues. Acronyms written in capitals (SBAR, NHS, OPEL) stay in capitals. Stopwords are
the maintained stopwords-iso lists of the chat's own language(s) (`analysis.languages`), plus words
too generic to be a topic ("good", "need", "people", "often") and chat pleasantries.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from importlib.util import find_spec
from itertools import pairwise
from pathlib import Path

from analysis.languages import DEFAULT_LANGUAGES, dominant_languages, language_stopwords, lemma

# wordcloud's stopword list, read from its file as wordcloud does: importing wordcloud loads matplotlib, which
# a report without pictures never needs (find_spec locates the package without running it).
_WORDCLOUD_SPEC = find_spec("wordcloud")
assert _WORDCLOUD_SPEC is not None and _WORDCLOUD_SPEC.origin is not None
with (Path(_WORDCLOUD_SPEC.origin).parent / "stopwords").open(encoding="utf-8") as _file:
    _WORDCLOUD_STOPWORDS = set(map(str.strip, _file.readlines()))

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

# Other ways of writing a known phrase, and the one form it is counted under.
PHRASE_FORMS = {"human factor": "human factors", "escalation processes": "escalation process", "on-call": "on call"}

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
# Words frequent in any conversation: never a topic, whatever a stopword list of the language says.
GENERIC = {
    "good", "bad", "better", "best", "need", "want", "people", "person", "even", "often", "always", "never",
    "though", "although", "getting", "sometimes", "usually", "actually", "quite", "still", "yet", "able",
    "feel", "felt", "try", "tried", "time", "times", "day", "days", "week", "year", "years", "lot", "kind",
    "sort", "else", "every", "everything", "anything", "nothing", "whole", "part", "around", "bring",
    "take", "put", "come", "give", "keep", "use", "find", "look", "seem", "let", "tell", "ask", "start", "end",
    "new", "old", "big", "small", "little", "high", "low", "long", "short", "real", "true", "right", "wrong",
    "option", "require", "difficult", "easy", "hard", "thing", "stuff", "case", "point", "example", "agree",
    "absolutely", "exactly", "certainly", "probably", "possibly", "maybe", "perhaps", "important", "key",
}  # fmt: skip
BASE_STOPWORDS = frozenset(
    {w.lower().replace("'", "") for w in _WORDCLOUD_STOPWORDS} | MONTHS | DAYS | CHAT_FILLER | GENERIC
)
STOPWORDS = BASE_STOPWORDS | language_stopwords(("en",))

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
_WORD_RE = re.compile(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*")
_MIN_PHRASE_COUNT = 3
# Greetings name people ("Hi, I'm Marc", "Welcome Emma!", "Teresa here"): the cloud is about the topic.
_NAME_RES = (
    re.compile(r"\b(?:I'm|I’m|I am|[Ww]elcome|[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Tt]hank you)[\s,\-]+([A-Z][a-z]{2,})\b"),
    re.compile(r"\bfor joining us,? ([A-Z][a-z]{2,})\b"),
    re.compile(r"\b([A-Z][a-z]{2,}) here\b"),
)
_MAX_ACRONYM = 6


def tokens(text: str) -> list[str]:
    """Words as written (case kept), with handles, hashtags, URLs, times, numbers and Q/A markers taken out."""
    out = []
    for word in _WORD_RE.findall(_STRIP_RE.sub(" ", text)):
        if "'" in word or "’" in word:
            word = word.replace("’", "'")
            if word.lower().endswith("'s"):
                word = word[:-2]
            word = word.replace("'", "")
        out.append(word)
    return out


def words(text: str) -> list[str]:
    """Lower-case words with handles, hashtags, URLs, times, numbers and Q/A markers taken out."""
    return [w.lower() for w in tokens(text)]


def acronyms_of(tokenised: Iterable[list[str]]) -> frozenset[str]:
    """Words (lower-cased) written in capitals (SBAR, NHS) and never in lower case: acronyms, not shouting."""
    capitals: set[str] = set()
    lower: set[str] = set()
    for ws in tokenised:
        for w in ws:
            if 2 <= len(w) <= _MAX_ACRONYM and w.isupper():
                capitals.add(w.lower())
            elif not w.isupper():
                lower.add(w.lower())
    return frozenset(capitals - lower - BASE_STOPWORDS)  # "RT", "OK": filler, whatever the case


class Vocabulary:
    """How one event's words become terms: its stopwords, its language(s) and its acronyms."""

    def __init__(
        self,
        languages: tuple[str, ...] = DEFAULT_LANGUAGES,
        acronyms: frozenset[str] = frozenset(),
    ) -> None:
        self.languages = languages
        self.acronyms = acronyms
        self.stopwords = BASE_STOPWORDS | language_stopwords(languages)

    def keep(self, word: str) -> bool:
        if word in self.acronyms:
            return True
        return len(word) > 2 and word not in self.stopwords and len(set(word)) > 1  # not "xxx"

    def term(self, word: str) -> str | None:
        """The dictionary form of a kept word (acronyms in capitals), or None when it is not a topic."""
        if word in self.acronyms:
            return word.upper()
        if not self.keep(word):
            return None
        base = lemma(word, self.languages)
        return base if base == word or self.keep(base) else None


_DEFAULT_VOCABULARY = Vocabulary()


def _keep(word: str) -> bool:
    return _DEFAULT_VOCABULARY.keep(word)


def terms(text: str, phrases: frozenset[str] = KNOWN_PHRASES) -> list[str]:
    """The meaningful terms of one text, phrases joined ("human factors"), stopwords dropped, forms merged."""
    ws = tokens(text)
    vocabulary = Vocabulary(acronyms=acronyms_of([ws]))
    return merge_forms({0: terms_of_words([w.lower() for w in ws], phrases, vocabulary)})[0]


def terms_of_words(ws: list[str], phrases: frozenset[str], vocabulary: Vocabulary = _DEFAULT_VOCABULARY) -> list[str]:
    out: list[str] = []
    i = 0
    n = len(ws)
    while i < n:
        if n - i >= 3 and " ".join(ws[i : i + 3]) in phrases:
            out.append(" ".join(ws[i : i + 3]))
            i += 3
        elif n - i >= 2 and f"{ws[i]} {ws[i + 1]}" in phrases:
            pair = f"{ws[i]} {ws[i + 1]}"
            out.append(PHRASE_FORMS.get(pair, pair))
            i += 2
        elif ws[i] in PHRASE_FORMS:
            out.append(PHRASE_FORMS[ws[i]])
            i += 1
        else:
            term = vocabulary.term(ws[i])
            if term is not None:
                out.append(term)
            i += 1
    return out


def _family(term: str) -> tuple[str, ...]:
    """Noun forms a verb's lemma may share a family with: escalate -> escalation, connect -> connection."""
    stem = term[:-1] if term.endswith("e") else term
    return (stem + "ion", stem + "ation", term + "ion")


def merge_forms(terms_by_key: dict[int, list[str]]) -> dict[int, list[str]]:
    """One term per word family: a verb whose noun form is also used (escalate/escalation) becomes the noun."""
    vocabulary = {t for ts in terms_by_key.values() for t in ts if " " not in t}
    mapping = {}
    for term in vocabulary:
        if term.islower():
            noun = next((f for f in _family(term) if f in vocabulary and f != term), None)
            if noun:
                mapping[term] = noun
    if not mapping:
        return terms_by_key
    return {k: [mapping.get(t, t) for t in ts] for k, ts in terms_by_key.items()}


def _phrases_of(
    tokenised: Iterable[list[str]], min_count: int, vocabulary: Vocabulary = _DEFAULT_VOCABULARY
) -> frozenset[str]:
    seen: Counter[str] = Counter()
    for ws in tokenised:
        seen.update({f"{a} {b}" for a, b in pairwise(ws) if vocabulary.keep(a) and vocabulary.keep(b)})
    return KNOWN_PHRASES | PHRASE_FORMS.keys() | {p for p, n in seen.items() if n >= min_count}


def frequent_phrases(texts: Sequence[str], *, min_count: int = _MIN_PHRASE_COUNT) -> frozenset[str]:
    """Known phrases plus content bigrams that recur in several different posts of this chat."""
    return _phrases_of((words(t) for t in texts), min_count)


class Corpus:
    """The texts of one event, each tokenised once; counts, themes and clouds of any subset read from it.

    A 50,000-post chat's report counts terms for the whole chat, each question, each cloud and each
    person's CPD log: tokenising once instead of each time is what keeps that within seconds.
    """

    def __init__(self, texts: Mapping[int, str], *, languages: tuple[str, ...] | None = None) -> None:
        raw = {key: tokens(text) for key, text in texts.items()}
        self.texts = texts
        self.languages = languages or dominant_languages(texts.values())
        self.vocabulary = Vocabulary(self.languages, acronyms_of(raw.values()))
        tokenised = {key: [w.lower() for w in ws] for key, ws in raw.items()}
        self.phrases = _phrases_of(tokenised.values(), _MIN_PHRASE_COUNT, self.vocabulary)
        self.terms: dict[int, list[str]] = merge_forms(
            {k: terms_of_words(ws, self.phrases, self.vocabulary) for k, ws in tokenised.items()}
        )

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
