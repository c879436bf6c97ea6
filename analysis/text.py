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
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from importlib.util import find_spec
from itertools import chain, islice, pairwise
from pathlib import Path

from analysis.compact import Places
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
# The same as _STRIP_RE in a post with no link or domain in it, but many times faster: every match starts
# with one of a few characters, so the regex engine skips straight to them. `\b` before a word
# character is written as "the character before is not a word character" (`(?<!\w.)` once the first
# character is read), and `am`/`pm` with both cases spelt out, since nothing else folds to those
# letters under re.I. tests/analysis/test_analysis_same_results.py checks both give the same text.
_FAST_STRIP_RE = re.compile(
    r"[@＠#＃AaQq\d]"
    r"(?:(?<=[@＠#＃])\w+"  # handles and hashtags
    r"|(?<=[AaQq])(?<!\w.)\s?\d{1,2}\b"  # Q/A markers
    r"|(?<=\d)(?<!\w.)\d?[:.]\d{2}\s*(?:[Aa][Mm]|[Pp][Mm])?\b"  # times
    r"|(?<=\d)(?<!\w.)\d?\s*(?:[Aa][Mm]|[Pp][Mm])\b)"
)
# What every link or domain _STRIP_RE takes out contains: "://", "www." or a dot before a domain's ending.
_LINK_HINT_RE = re.compile(r"\.(?:(?<=www\.)|co|org|net|uk|ly|io)", re.I)
_WORD_RE = re.compile(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*")
_LETTERS_AND_SPACES_RE = re.compile(r"[A-Za-z\s]*+")
_MIN_PHRASE_COUNT = 3
# Greetings name people ("Hi, I'm Marc", "Welcome Emma!", "Teresa here"): the cloud is about the topic.
# Each starts with its first character and then checks the word boundary before it (`(?<!\w.)`), which
# is what `\b` there means, so the regex engine jumps to candidate letters instead of trying everywhere.
_NAME_RES = (
    re.compile(
        r"[IWwHhTt](?<!\w.)(?:(?<=I)(?:'m|’m| am)|(?<=[Ww])elcome|(?<=[Hh])(?:i|ello|ey)|(?<=[Tt])(?:hanks|hank you))"
        r"[\s,\-]+([A-Z][a-z]{2,})\b"
    ),
    re.compile(r"f(?<!\w.)or joining us,? ([A-Z][a-z]{2,})\b"),
    re.compile(r"([A-Z](?<!\w.)[a-z]{2,}) here\b"),
)
_LOWER_WORD_RE = re.compile(r"[a-z](?<!\w.)[a-z]*+\b")  # a whole word in lower case: `\b[a-z]+\b`
_FEW_NAMES = 32  # up to this many names, looking each one up is quicker than listing every lower-case word
_APART = "\x00"  # joins texts: no pattern above matches it, and like a text's start it is no word character
_MAX_ACRONYM = 6


def strip(text: str) -> str:
    """The text with URLs, domains, handles, hashtags, Q/A markers and times replaced by spaces."""
    if "://" in text or _LINK_HINT_RE.search(text):
        return _STRIP_RE.sub(" ", text)
    return _FAST_STRIP_RE.sub(" ", text)


def tokens(text: str) -> list[str]:
    """Words as written (case kept), with handles, hashtags, URLs, times, numbers and Q/A markers taken out."""
    stripped = strip(text)
    # Letters and spaces only (most posts, once stripped): the words are what split() gives, and it is quicker.
    found: list[str] = stripped.split() if _LETTERS_AND_SPACES_RE.fullmatch(stripped) else _WORD_RE.findall(stripped)
    if "'" not in text and "’" not in text:
        return found
    out = []
    for word in found:
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


def acronyms_of(tokenised: Iterable[Iterable[str]]) -> frozenset[str]:
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


class _Matcher:
    """Turns lower-cased words into terms: known and recurring phrases first (three words, then two, longest
    match from the left), then each other word's dictionary form.

    Phrases are looked up by their words (a dict per first word) rather than by joining every run of
    words into a string, and each distinct word's term is worked out once: the terms are the same as
    joining and looking up each time, at a fraction of the work for a chat of thousands of posts.
    """

    def __init__(self, phrases: Collection[str], vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.pairs: dict[str, dict[str, str]] = {}  # first word -> second word -> the term the pair counts as
        self.triples: dict[str, set[tuple[str, str]]] = {}  # first word -> (second, third)
        for phrase in phrases:
            parts = phrase.split(" ")
            if len(parts) == 2:
                self.pairs.setdefault(parts[0], {})[parts[1]] = PHRASE_FORMS.get(phrase, phrase)
            elif len(parts) == 3:
                self.triples.setdefault(parts[0], set()).add((parts[1], parts[2]))
        # A text with none of these words is its words' terms one by one.
        self.starts = frozenset(self.pairs.keys() | self.triples.keys() | PHRASE_FORMS.keys())
        self._special = self.triples.keys() | PHRASE_FORMS.keys()  # words the fast loop leaves to `_at`
        self.term_of: dict[str, str | None] = {}
        # word -> (the second words of pairs it starts, its own term, whether it may start a triple or a form)
        self.info: dict[str, tuple[dict[str, str] | None, str | None, bool]] = {}

    def learn(self, words: Iterable[str]) -> None:
        """Work out the term of each of these words (and what phrases it starts) once."""
        term = self.vocabulary.term
        for w in words:
            if w not in self.info:
                self.term_of[w] = term(w)
                self.info[w] = (self.pairs.get(w), self.term_of[w], w in self._special)

    def terms(self, ws: list[str]) -> list[str]:
        try:
            return self._terms(ws)
        except KeyError:  # a word not learnt yet
            self.learn(ws)
            return self._terms(ws)

    def _terms(self, ws: list[str]) -> list[str]:
        if self.starts.isdisjoint(ws):
            return list(filter(None, map(self.term_of.__getitem__, ws)))  # a term is never ""
        info = self.info
        out: list[str] = []
        i = 0
        n = len(ws)
        last = n - 1
        while i < n:
            follow, term, special = info[ws[i]]
            if special:
                term, step = self._at(ws, i)
                if term is not None:
                    out.append(term)
                i += step
                continue
            if follow is not None and i < last and (pair := follow.get(ws[i + 1])) is not None:
                out.append(pair)
                i += 2
                continue
            if term is not None:
                out.append(term)
            i += 1
        return out

    def _at(self, ws: list[str], i: int) -> tuple[str | None, int]:
        """The term at ws[i] and how many words it takes, when ws[i] may start a triple or be a form."""
        w = ws[i]
        n = len(ws)
        if w in self.triples and n - i >= 3 and (ws[i + 1], ws[i + 2]) in self.triples[w]:
            return f"{w} {ws[i + 1]} {ws[i + 2]}", 3
        follow = self.pairs.get(w)
        if follow is not None and n - i >= 2 and (pair := follow.get(ws[i + 1])) is not None:
            return pair, 2
        if w in PHRASE_FORMS:
            return PHRASE_FORMS[w], 1
        return self.term_of[w], 1


def terms(text: str, phrases: frozenset[str] = KNOWN_PHRASES) -> list[str]:
    """The meaningful terms of one text, phrases joined ("human factors"), stopwords dropped, forms merged."""
    ws = tokens(text)
    vocabulary = Vocabulary(acronyms=acronyms_of([ws]))
    return merge_forms({0: terms_of_words([w.lower() for w in ws], phrases, vocabulary)})[0]


def terms_of_words(ws: list[str], phrases: frozenset[str], vocabulary: Vocabulary = _DEFAULT_VOCABULARY) -> list[str]:
    return _Matcher(phrases, vocabulary).terms(ws)


def _family(term: str) -> tuple[str, ...]:
    """Noun forms a verb's lemma may share a family with: escalate -> escalation, connect -> connection."""
    stem = term[:-1] if term.endswith("e") else term
    return (stem + "ion", stem + "ation", term + "ion")


def _form_mapping(used: Iterable[str]) -> dict[str, str]:
    """Each verb among the `used` terms whose noun form is used too -> that noun (escalate -> escalation)."""
    vocabulary = {t for t in used if " " not in t}
    mapping = {}
    for term in vocabulary:
        if term.islower():
            noun = next((f for f in _family(term) if f in vocabulary and f != term), None)
            if noun:
                mapping[term] = noun
    return mapping


def merge_forms(terms_by_key: dict[int, list[str]]) -> dict[int, list[str]]:
    """One term per word family: a verb whose noun form is also used (escalate/escalation) becomes the noun.

    Only the lists that hold a merged verb are rewritten; the others are returned as they are.
    """
    used: set[str] = set()
    for ts in terms_by_key.values():
        used.update(ts)
    mapping = _form_mapping(used)
    if not mapping:
        return terms_by_key
    return {
        k: ts if mapping.keys().isdisjoint(ts) else [mapping.get(t, t) for t in ts] for k, ts in terms_by_key.items()
    }


def _phrases_of(
    tokenised: Iterable[list[str]],
    min_count: int,
    vocabulary: Vocabulary = _DEFAULT_VOCABULARY,
    distinct: Collection[str] | None = None,
) -> frozenset[str]:
    """Known phrases plus the pairs of kept words that follow each other in at least `min_count` texts
    (`distinct`: every word of the texts, when the caller has them already)."""
    texts = list(tokenised)
    if distinct is None:
        distinct = set()
        for ws in texts:
            distinct.update(ws)
    kept = {w: w if vocabulary.keep(w) else None for w in distinct}.__getitem__  # None: no phrase is made of it
    seen = Counter(chain.from_iterable(set(pairwise(map(kept, ws))) for ws in texts))
    recurring = {f"{a} {b}" for (a, b), n in seen.items() if n >= min_count and a is not None and b is not None}
    return frozenset(KNOWN_PHRASES | PHRASE_FORMS.keys() | recurring)


def frequent_phrases(texts: Sequence[str], *, min_count: int = _MIN_PHRASE_COUNT) -> frozenset[str]:
    """Known phrases plus content bigrams that recur in several different posts of this chat."""
    return _phrases_of((words(t) for t in texts), min_count)


class _Numbering(dict[str, int]):
    """Each string its number, the next one the first time it is looked up."""

    def __missing__(self, key: str) -> int:
        number = self[key] = len(self)
        return number


_TEXTS_AT_A_TIME = 4096  # texts whose words are kept in one array while a corpus is made
_WIDER = {"B": "H", "H": "I", "I": "Q"}


def _fits(numbers: array[int], count: int) -> array[int]:
    """`numbers`, in a wider array when numbers up to `count` would not fit in it."""
    while count >= 1 << (8 * numbers.itemsize):
        numbers = array(_WIDER[numbers.typecode], numbers)
    return numbers


def _numbers(values: list[int], count: int) -> array[int]:
    """The values (numbers below `count`) in an array of as few bytes each as they need."""
    return array(_fits(array("B"), count).typecode, values)


class Corpus:
    """The texts of one event, each tokenised once; counts, themes and clouds of any subset read from it.

    A 50,000-post chat's report counts terms for the whole chat, each question, each cloud and each
    person's CPD log: tokenising once instead of each time is what keeps that within seconds. Work
    that depends only on a word (lower-casing it, its dictionary form, whether it is an acronym) is
    done once per distinct word, not once per use.

    Words and terms are held as numbers in arrays (each distinct one's string once), a text's between
    two offsets: a million posts' terms take tens of megabytes, not a list of strings each. The texts
    are read twice, in order (for their language, then their words), and not kept.
    """

    def __init__(self, texts: Mapping[int, str], *, languages: tuple[str, ...] | None = None) -> None:
        self.languages = languages or dominant_languages(texts.values())
        # The language's dictionary loaded now, before the posts' words are held: loading it takes tens of
        # megabytes for a moment, which on top of a large chat's words would be the report's peak.
        lemma("chat", self.languages)
        # Each distinct word as written -> the number of its lower case ("Safety" and "safety" one number).
        written = _Numbering()
        lower = _Numbering()
        # (words, where each text's words end) for a batch of texts: the words' numbers in an array each batch.
        chunks: list[tuple[array[int], array[int]]] = []
        keys: array[int] = array("q")
        words: list[int] = []
        ends: list[int] = []
        for key, text in texts.items():
            ws = tokens(text)
            for w in set(ws).difference(written):
                written[w] = lower[w.lower()]
            words += map(written.__getitem__, ws)
            ends.append(len(words))
            keys.append(key)
            if len(ends) == _TEXTS_AT_A_TIME:
                chunks.append((_numbers(words, len(lower)), array("I", ends)))
                words, ends = [], []
        chunks.append((_numbers(words, len(lower)), array("I", ends)))
        del words
        distinct = list(lower)  # number -> lower-case word
        self.vocabulary = Vocabulary(self.languages, acronyms_of([written.keys()]))
        del written
        self.phrases = self._phrases(chunks, distinct)
        matcher = _Matcher(self.phrases, self.vocabulary)
        matcher.learn(distinct)
        terms = _Numbering()
        flat: array[int] = array("B")
        term_ends: array[int] = array("q")
        chunks.reverse()  # each batch's words let go of as its terms are made, first batch first
        while chunks:
            chunk, ends = chunks.pop()
            listed = chunk.tolist()
            del chunk
            made: list[int] = []
            for start, end in pairwise(chain((0,), ends)):
                made += map(terms.__getitem__, matcher.terms(list(map(distinct.__getitem__, listed[start:end]))))
                term_ends.append(len(flat) + len(made))
            flat = _fits(flat, len(terms))
            flat.extend(made)
        # One term per word family (merge_forms), as numbers: a merged verb's number becomes its noun's.
        mapping = _form_mapping(terms)
        if mapping:
            renumber = list(range(len(terms)))
            for verb, noun in mapping.items():
                renumber[terms[verb]] = terms[noun]
            flat = array(flat.typecode, map(renumber.__getitem__, flat))
        self._flat, self._ends = flat, term_ends
        self._term_of = list(terms)  # number -> term
        self._places = Places(keys)  # where each key's text is
        self._all: Counter[str] | None = None

    def _phrases(self, chunks: list[tuple[array[int], array[int]]], distinct: list[str]) -> frozenset[str]:
        """Known phrases plus the pairs of kept words that follow each other in at least _MIN_PHRASE_COUNT
        texts (as `_phrases_of` finds them, counted by the words' numbers)."""
        keep = self.vocabulary.keep
        kept = [i if keep(w) else -1 for i, w in enumerate(distinct)]  # -1: no phrase is made of it
        seen: Counter[tuple[int, int]] = Counter()
        for words, ends in chunks:
            listed = words.tolist()  # (each text's set made, counted and let go of before the next's is made)
            seen.update(
                chain.from_iterable(
                    set(pairwise(map(kept.__getitem__, listed[start:end])))
                    for start, end in pairwise(chain((0,), ends))
                )
            )
        recurring = {
            f"{distinct[a]} {distinct[b]}" for (a, b), n in seen.items() if n >= _MIN_PHRASE_COUNT and a >= 0 and b >= 0
        }
        return frozenset(KNOWN_PHRASES | PHRASE_FORMS.keys() | recurring)

    def __len__(self) -> int:
        return len(self._places.ids)

    def _place(self, key: int) -> int:
        """Where the text of `key` is; KeyError when there is none."""
        place = self._places.place(key)
        if place is None:
            raise KeyError(key)
        return place

    def _numbers(self, place: int) -> array[int]:
        return self._flat[self._ends[place - 1] if place else 0 : self._ends[place]]

    def terms_of(self, key: int) -> list[str]:
        """The terms of one text, in order."""
        return list(map(self._term_of.__getitem__, self._numbers(self._place(key))))

    @property
    def keys(self) -> array[int]:
        """The texts' keys, in order: a text's place is where its key is."""
        return self._places.ids

    def terms_at(self, place: int) -> list[str]:
        """The terms of the text at `place`, in order."""
        return list(map(self._term_of.__getitem__, self._numbers(place)))

    def counts_at(self, places: Iterable[int], *, exclude: Collection[str] = ()) -> Counter[str]:
        """counts() of the texts at these places."""
        counts = self._named(Counter(chain.from_iterable(map(self._numbers, places))))
        for term in exclude:
            counts.pop(term, None)
        return counts

    @property
    def terms(self) -> dict[int, list[str]]:
        """Every text's terms by key (made whole when asked for: `terms_of` reads one)."""
        term_of = self._term_of.__getitem__
        return {key: list(map(term_of, self._numbers(place))) for place, key in enumerate(self._places.ids)}

    def counts(self, keys: Iterable[int] | None = None, *, exclude: Collection[str] = ()) -> Counter[str]:
        """How often each term is used in the texts of `keys` (all texts when None), in first-use order."""
        if keys is None:
            if self._all is None:
                self._all = self._named(Counter(self._flat))
            counts = self._all.copy()
        else:
            counts = self._named(Counter(chain.from_iterable(map(self._numbers, map(self._place, keys)))))
        for term in exclude:
            counts.pop(term, None)
        return counts

    def _named(self, numbers: Counter[int]) -> Counter[str]:
        term_of = self._term_of
        return Counter({term_of[number]: n for number, n in numbers.items()})

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


_NAMES_AT_A_TIME = 65_536  # texts joined into one string to look for names in


def introduced_names(texts: Iterable[str]) -> set[str]:
    """First names people use to greet or introduce themselves, lower-cased, to leave out of clouds."""
    remaining = iter(texts)
    batches = iter(lambda: list(islice(remaining, _NAMES_AT_A_TIME)), [])
    joined = _APART.join(next(batches, []))  # one regex call per pattern for many texts instead of one per post
    names = {m.lower() for pattern in _NAME_RES for m in pattern.findall(joined)} - STOPWORDS
    batch = next(batches, None)
    if batch is None:  # all the texts in one string
        # A word also written in lower case ("culture") is a word, not a name.
        if len(names) <= _FEW_NAMES:
            return {n for n in names if not _written_in_lower_case(n, joined)}
        return names - set(_LOWER_WORD_RE.findall(joined))
    # A large chat's texts a batch at a time (never all in one string): the same names, and the same words
    # written in lower case, found batch by batch (no pattern reaches across _APART from one text to the next).
    lower_case = _lower_case_words(joined)
    del joined
    while batch is not None:
        joined = _APART.join(batch)
        del batch
        names.update(m.lower() for pattern in _NAME_RES for m in pattern.findall(joined))
        lower_case |= _lower_case_words(joined)
        del joined
        batch = next(batches, None)
    return names - STOPWORDS - lower_case


_LOWER_STRETCH = 1 << 18  # characters of joined texts whose lower-case words are listed at a time


def _lower_case_words(joined: str) -> set[str]:
    """The distinct words written in lower case in `joined` (texts joined by _APART), as
    `set(_LOWER_WORD_RE.findall(joined))` finds them but listed a stretch of whole texts at a time: a batch's
    list would be tens of megabytes, and a match object per word (finditer) takes twice the time."""
    found: set[str] = set()
    start, end = 0, len(joined)
    while start <= end:
        # Each stretch ends at an _APART (or the end): findall's endpos then cuts no word, and no match
        # reaches across _APART, so the stretches' words are the whole string's.
        stop = joined.find(_APART, start + _LOWER_STRETCH)
        if stop < 0:
            stop = end
        found.update(_LOWER_WORD_RE.findall(joined, start, stop))
        start = stop + 1
    return found


def _written_in_lower_case(word: str, text: str) -> bool:
    """Whether the lower-case `word` stands as a whole word in `text` (`\\bword\\b`, the literal first so
    the regex engine searches for it rather than trying every position)."""
    return re.search(re.escape(word) + rf"(?<!\w{'.' * len(word)})(?!\w)", text) is not None


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
