"""The chat report: one self-contained HTML page like the WeCommunities chat page, plus the files behind it.

`build_report` computes everything once; `render_page` turns it into HTML (Jinja2 with autoescape on,
so every piece of user text - posts, names, bios - is escaped); `write_report` writes the page,
`transcript.md`, `messages.csv`, `record.json`, `stats.json` and the pictures into a folder. Pictures are
embedded as data URIs so the page can be mailed or archived as a single file; the web app passes URLs
instead. A chat of over PAGED_OVER transcript entries gets its transcript's rest in transcript-2.html….
Every file is written as it is made, into a temporary file renamed into place when whole: the memory a
report takes does not grow with the size of the files it writes.
"""

from __future__ import annotations

import base64
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from analysis import cpd_offer
from analysis.answers import Assignment, QuestionWindows, assign_answers, minute_precision
from analysis.beside import Beside, Claims, can_fork
from analysis.clouds import bio_cloud_terms, cloud_weights, render_cloud, word_cloud_terms
from analysis.compact import PerPost
from analysis.engagement import Edge, engagement_edges, render_wheel
from analysis.event_text import event_text
from analysis.links import html_text, linkify, linkify_html, post_url
from analysis.question_text import with_clean_questions
from analysis.stats import EventStats, compute_stats
from analysis.summary import Summary, summarise
from analysis.timeline import render_timeline
from config.settings import Settings
from transcripts.db import Database
from transcripts.exporters.atomic import atomic_writer, write_text_atomic
from transcripts.exporters.csv_export import write_csv
from transcripts.exporters.json_export import write_json
from transcripts.exporters.local_clock import LocalClock
from transcripts.exporters.markdown import write_markdown
from transcripts.gc_pause import gc_paused
from transcripts.snapshot import CompactMessages, EventSnapshot, MessageView, field_of, fields_of, load_event

PICTURES = ("timeline", "wheel", "wordcloud", "biocloud")
TOP_TERMS = 20
PLATFORM_NAMES = {"x": "X", "bluesky": "Bluesky", "slack": "Slack", "local": "huddlebot"}
TOP_EDGES = 15
# A chat of more transcript entries than PAGED_OVER gets a chat page with its first FIRST_SCREEN entries
# and the rest in transcript-2.html, transcript-3.html… of PAGE_ENTRIES each: one page of a 200,000-post
# chat would be 85 MB of HTML, more than a browser can open. Smaller chats keep the one self-contained page.
PAGED_OVER = 5000
# The most posts a report forks for (write_report): the two processes together hold about 1.5 times one's
# memory (381 MB at 200,000 posts against 256 MB), so a larger chat is written in one process, which at
# 200,000 posts is still faster than the converter our users compare us with (benchmarks/bench_converter.py).
FORK_UP_TO = 100_000
FIRST_SCREEN = 1000
PAGE_ENTRIES = 5000

_env = Environment(loader=PackageLoader("analysis", "templates"), autoescape=True, trim_blocks=False)
_env.filters["linkify"] = linkify
# A small mark for the browser tab, inline so the page stays one self-contained file.
FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b5cad"/>'
    '<path d="M9 8v16M23 8v16M9 16h14" stroke="#fff" stroke-width="4" stroke-linecap="round"/></svg>'
)
RECOMPUTED = ("contributors", "tweets", "posts", "messages")  # a source's totals the record recomputes itself


@dataclass(slots=True)
class ChatReport:
    snapshot: EventSnapshot
    assignments: Mapping[int, Assignment]  # a dict, or for a large chat an analysis.compact.PerPost
    stats: EventStats
    summary: Summary
    edges: list[Edge]
    word_terms: dict[str, int]
    bio_terms: dict[str, int]

    def question_of(self) -> Mapping[int, int | None]:
        """Message id -> the question it belongs under in the transcript (answer, else its time window): a
        dict, or for a large chat's posts a PerPost (in arrays)."""
        return question_of(self.snapshot, self.assignments)


def question_of(snapshot: EventSnapshot, assignments: Mapping[int, Assignment]) -> Mapping[int, int | None]:
    """ChatReport.question_of, from the posts and their answers alone."""
    number = _section_at(snapshot, assignments)
    pairs = fields_of(snapshot.messages, "id", "created_at")
    if isinstance(snapshot.messages, list):
        return {mid: number(mid, created_at) for mid, created_at in pairs}
    sections: PerPost[int | None] = PerPost()
    for mid, created_at in pairs:
        sections.add(mid, number(mid, created_at))
    return sections


def build_report(snapshot: EventSnapshot) -> ChatReport:
    """Everything the page and files show. The tokenised posts (`event_text`, the largest intermediate:
    every post's terms) are made after the other passes over the posts and let go of once the summary
    and the word cloud have read them, so no pass's own working set comes on top of them."""
    snapshot = with_clean_questions(snapshot)
    with gc_paused():  # every pass makes only acyclic objects (posts, terms, counts): nothing to collect
        return _build_report(snapshot, assign_answers(snapshot))


def _build_report(snapshot: EventSnapshot, assignments: Mapping[int, Assignment]) -> ChatReport:
    """build_report of a snapshot with clean questions, once its answers are assigned."""
    without_text = _without_text(snapshot, assignments)
    return _with_text(snapshot, assignments, lambda: without_text)


def _without_text(snapshot: EventSnapshot, assignments: Mapping[int, Assignment]) -> tuple[EventStats, list[Edge]]:
    """What the report shows that needs no words of the posts or bios: the stats and the engagement edges."""
    return compute_stats(snapshot, assignments), engagement_edges(snapshot)


def _with_text(
    snapshot: EventSnapshot,
    assignments: Mapping[int, Assignment],
    without_text: Callable[[], tuple[EventStats, list[Edge]]],
) -> ChatReport:
    """The report: the clouds and summary made here (all that loads the lemmatiser's dictionary), then
    `_without_text`'s results, asked for once these are done and the tokenised posts let go of (what is
    asked for may write files here, whose working set must not come on top of them)."""
    bio_terms = dict(bio_cloud_terms(snapshot))
    text = event_text(snapshot)
    summary = summarise(snapshot, assignments, text)
    word_terms = dict(word_cloud_terms(snapshot, text))
    del text
    stats, edges = without_text()
    return ChatReport(snapshot, assignments, stats, summary, edges, word_terms, bio_terms)


def section_numbers(report: ChatReport) -> list[tuple[Any, int | None]]:
    """Each message with the question section it is shown under: its answer's question, else the window."""
    number = _section_of(report)
    return [(m, number(m)) for m in source_order(report.snapshot)]


def _section_of(report: ChatReport) -> Callable[[MessageView], int | None]:
    """The question section a message is shown under, as a function: its answer's question, else the window."""
    number = _section_at(report.snapshot, report.assignments)
    return lambda m: number(m.id, m.created_at)


def _section_at(
    snapshot: EventSnapshot, assignments: Mapping[int, Assignment]
) -> Callable[[int, datetime], int | None]:
    """The question section of the message of this id and time, as a function (see _section_of)."""
    windows = QuestionWindows(snapshot)

    def number(mid: int, created_at: datetime) -> int | None:
        a = assignments.get(mid)
        if a is not None:
            return a.number
        q = windows.at(created_at)
        return q.number if q is not None else None

    return number


def source_order(snapshot: EventSnapshot) -> Sequence[MessageView]:
    """Messages oldest first; within a minute of a minute-precise source, the question posts first.

    The page a chat is imported from (or replayed from) lists a question before the replies of its
    minute; a bot posting that question a few seconds into the minute must not put it after them.
    A list, or for a large chat's posts (read as they are made) a sequence of them in that order.
    """
    messages = snapshot.messages
    compact = not isinstance(messages, list)
    if not minute_precision(snapshot):
        return messages if compact else list(messages)
    asked = {pid for p in snapshot.prompts if p.kind != "close" for pid in p.post_ids}
    if not compact:
        return sorted(
            messages, key=lambda m: (m.created_at.replace(second=0, microsecond=0), m.platform_id not in asked)
        )
    keys = [(m.created_at.replace(second=0, microsecond=0), m.platform_id not in asked) for m in messages]
    return _InOrder(messages, array("Q", sorted(range(len(keys)), key=keys.__getitem__)))


class _InOrder(Sequence[MessageView]):
    """The posts of a sequence in another order (their places in it)."""

    def __init__(self, messages: Sequence[MessageView], order: array[int]) -> None:
        self.messages, self.order = messages, order

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, i: int) -> MessageView: ...

    @overload
    def __getitem__(self, i: slice) -> list[MessageView]: ...

    def __getitem__(self, i: int | slice) -> MessageView | list[MessageView]:
        if isinstance(i, slice):
            return [self.messages[at] for at in self.order[i]]
        return self.messages[self.order[i]]


def _posts_at(ordered: Sequence[MessageView], positions: Iterable[int]) -> list[MessageView]:
    """ordered[p] for each of `positions` (ascending): a large chat's posts read by CompactMessages.take."""
    if isinstance(ordered, CompactMessages):
        return ordered.take(positions)
    return [ordered[p] for p in positions]


class _PostHtml:
    """Posts as the page shows them, escaped here (once, in Python) rather than by the template per field:
    a 50,000-post transcript is most of the page, and attribute lookups and filters per post were most of
    its cost. Every piece of user text goes through `html_text` or `linkify_html`; the whole is marked
    safe once, so the template's autoescape leaves it as it is."""

    def __init__(self, snapshot: EventSnapshot, zone: ZoneInfo) -> None:
        self.snapshot = snapshot
        self.zone = zone
        self.local_time = LocalClock(zone, "%H:%M")
        self._who = {pid: html_text(p.handle) for pid, p in snapshot.people.items()}

    def article(self, m: MessageView, when: str, *, repost_class: bool) -> str:
        url = post_url(m.platform, m.platform_id, self.snapshot.people[m.author_id].handle)
        original = f' <a href="{html_text(url)}" rel="noopener noreferrer">original</a>' if url else ""
        repost = " repost" if repost_class and m.is_repost else ""
        return (
            f'<article class="post{repost}" id="m{m.id}"><span class="who">@{self._who[m.author_id]}</span> '
            f'<span class="muted">{html_text(when)}</span>{original}\n{linkify_html(m.text, m.platform)}</article>'
        )


def is_after_the_chat(snapshot: EventSnapshot, m: MessageView) -> bool:
    """Posts after a chat's end are post-chat comments: reflections and follow-ups, shown apart."""
    return snapshot.kind == "chat" and snapshot.ends_at is not None and m.created_at > snapshot.ends_at


DELETED_LINE = "A post deleted by its author."
# Each transcript entry stands between the blank lines the template's loop used to give it.
_DELETED_HTML = html_text(DELETED_LINE)
_DELETED_ENTRY = '\n  <p class="post deleted muted"><span class="muted">{}</span> ' + _DELETED_HTML + "</p>\n  \n  "


@dataclass(slots=True)
class _Transcript:
    """The transcript's sections in order, as positions rather than HTML: each post's place in the source
    order, or -1-k for the kth deleted post. The HTML of any run of its entries is made a batch at a time
    as a page is written (a section of a large chat is never one string)."""

    ordered: Sequence[MessageView]
    deleted: list[datetime]
    sections: list[tuple[str, array[int]]]  # (title, positions)

    @property
    def entries(self) -> int:
        return sum(len(positions) for _, positions in self.sections)

    def groups(self, posts: _PostHtml, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """The sections holding entries start..stop (counted across sections), each with its title and
        those entries' HTML (already escaped)."""
        out = []
        offset = 0
        for title, positions in self.sections:
            low, high = max(start - offset, 0), len(positions) if stop is None else min(stop - offset, len(positions))
            if low < high:
                out.append({"title": title, "posts": _section_html(positions[low:high], self, posts)})
            offset += len(positions)
        return out


def _transcript(snap: EventSnapshot, assignments: Mapping[int, Assignment], limit: int | None = None) -> _Transcript:
    """The transcript's sections (only the first `limit` posts of the source order, when given).

    A deleted post stands where it was made, with no text and no author, so a reply to it still reads in
    order: after the last post of its section made before it; the others keep the source's order.
    """
    titles = {q.number: f"Q{q.number}. {q.text}" for q in snap.questions}
    ordered = source_order(snap)
    groups: dict[int | None, array[int]] = {}
    shown = 0
    ends = snap.ends_at if snap.kind == "chat" else None  # is_after_the_chat, once for every post
    number = _section_at(snap, assignments)
    for i, (mid, created_at) in enumerate(fields_of(ordered, "id", "created_at")):
        if limit is not None and shown >= limit:
            break
        if ends is None or created_at <= ends:
            section = groups.get(n := number(mid, created_at))
            if section is None:
                section = groups[n] = array("q")
            section.append(i)
            shown += 1
    deleted = snap.deleted_at_times
    if deleted:
        windows = QuestionWindows(snap)
        last = snap.ends_at

        def moment_of(position: int) -> datetime:
            return ordered[position].created_at if position >= 0 else deleted[-1 - position]

        for k, moment in enumerate(deleted):
            if last is not None and moment > last:
                continue
            q = windows.at(moment)
            section = groups.setdefault(q.number if q is not None else None, array("q"))
            at = next((i + 1 for i in range(len(section) - 1, -1, -1) if moment_of(section[i]) <= moment), 0)
            section.insert(at, -1 - k)
    return _Transcript(
        ordered,
        deleted,
        [
            ("Before the first question" if n is None else titles.get(n, f"Q{n}"), groups[n])
            for n in [None, *sorted(n for n in groups if n is not None)]
            if n in groups
        ],
    )


_HTML_BATCH = 1000  # posts joined into one piece of the page as it is written


def _section_html(section: array[int], transcript: _Transcript, posts: _PostHtml) -> Iterator[Markup]:
    """A section's entries as HTML, a batch at a time, each between the blank lines the template's loop
    used to give it."""
    article, local_time = posts.article, posts.local_time
    ordered, deleted = transcript.ordered, transcript.deleted
    for start in range(0, len(section), _HTML_BATCH):
        out = []
        positions = section[start : start + _HTML_BATCH]
        shown = iter(_posts_at(ordered, (p for p in positions if p >= 0)))
        for position in positions:
            if position >= 0:
                m = next(shown)
                out.append(f"\n  \n  {article(m, local_time(m.created_at), repost_class=True)}\n  \n  ")
            else:
                out.append(_DELETED_ENTRY.format(html_text(local_time(deleted[-1 - position]))))
        yield Markup("".join(out))


class _Comments:
    """The posts after the chat's end (at most `limit`), as HTML: each with its date, as they may be days
    later. True when there is any; made a batch at a time as the page is written."""

    def __init__(self, snapshot: EventSnapshot, posts: _PostHtml, limit: int | None) -> None:
        self.snapshot, self.posts, self.limit = snapshot, posts, limit
        self.any = limit != 0 and next(self._after(), None) is not None

    def __bool__(self) -> bool:
        return self.any

    def _after(self) -> Iterator[int]:
        """The places of the posts after the chat's end (is_after_the_chat), read from their times alone."""
        snap = self.snapshot
        if snap.kind != "chat" or snap.ends_at is None:
            return iter(())
        ends = snap.ends_at
        return (i for i, created_at in enumerate(field_of(snap.messages, "created_at")) if created_at > ends)

    def __iter__(self) -> Iterator[Markup]:
        snap, posts = self.snapshot, self.posts
        after = islice(self._after(), self.limit)
        while places := list(islice(after, _HTML_BATCH)):
            out = []
            for m in _posts_at(snap.messages, places):
                local = m.created_at.astimezone(posts.zone)
                when = f"{local.strftime('%d %B %Y').lstrip('0')} {local.strftime('%H:%M')}"
                out.append(f"\n  {posts.article(m, when, repost_class=False)}\n  ")
            yield Markup("".join(out))


def render_page(report: ChatReport, pictures: Mapping[str, str | None], **options: Any) -> str:
    """The chat page HTML, whole (the web app's first screen); the options are `page_pieces`' own."""
    return "".join(page_pieces(report, pictures, **options))


def page_pieces(
    report: ChatReport,
    pictures: Mapping[str, str | None],
    *,
    cpd_links: list[tuple[str, str]] | None = None,
    cpd_offered: bool = True,
    img_origin: str = "",
    site_nav: bool | None = None,
    first_screen: int | None = None,
    more: tuple[str, str] | None = None,
    settings: Settings | None = None,
) -> Iterator[str]:
    """The chat page HTML in the pieces it is written in, in order (the file is written as they come).

    `pictures` maps each of PICTURES to a data URI or URL (None: not drawn).

    `cpd_offered` is False for a huddle whose definition does not offer CPD logs (`analysis.cpd_offer`):
    its page then says nothing of CPD, since a daily huddle is everyday practice.
    `site_nav` adds the web app's navigation; by default it is there when the page is served by the
    app (pictures from `img_origin`), and not in the single file `huddlebot report` writes.
    `first_screen` bounds the transcript and the post-chat comments to that many posts each (the web
    page pages the rest); `more` is the (link, label) to the rest. With `settings`, what the chat read and
    made on X is priced at the settings' pay-per-use prices.
    """
    transcript = _transcript(report.snapshot, report.assignments, first_screen)
    return _page(
        report, pictures, lambda posts: transcript.groups(posts), first_screen, cpd_links=cpd_links,
        cpd_offered=cpd_offered, img_origin=img_origin, site_nav=site_nav, more=more, settings=settings,
    )  # fmt: skip


def _page(
    report: ChatReport,
    pictures: Mapping[str, str | None],
    groups: Callable[[_PostHtml], list[dict[str, Any]]],
    comments: int | None,
    *,
    cpd_links: list[tuple[str, str]] | None,
    cpd_offered: bool = True,
    img_origin: str,
    site_nav: bool | None,
    more: tuple[str, str] | None,
    settings: Settings | None,
) -> Iterator[str]:
    """The chat page's pieces with the transcript's `groups` and at most `comments` post-chat comments."""
    snap = report.snapshot
    zone = ZoneInfo(snap.timezone)
    start = snap.starts_at.astimezone(zone)
    end = (snap.ends_at or snap.starts_at).astimezone(zone)
    hours = round((end - start).total_seconds() / 3600, 2) or 1
    posts = _PostHtml(snap, zone)
    return _env.get_template("chat_page.html.j2").generate(
        event=snap,
        local_weekday=start.strftime("%A"),
        local_date=start.strftime("%d %B %Y").lstrip("0"),
        local_start=start.strftime("%H:%M"),
        local_end=end.strftime("%H:%M"),
        hours=int(hours) if float(hours).is_integer() else hours,
        questions=report.stats.questions,
        stats=report.stats,
        summary=report.summary,
        wheel_edges=sorted(report.edges, key=lambda e: (-e.weight, e.source, e.target))[:TOP_EDGES],
        word_terms=largest_terms(report.word_terms),
        bio_terms=largest_terms(report.bio_terms),
        pictures={name: pictures.get(name) for name in PICTURES},
        cpd_links=(cpd_links or []) if cpd_offered else [],
        cpd_offered=cpd_offered,
        transcript=groups(posts),
        comments=_Comments(snap, posts, comments),
        more=more,
        img_origin=img_origin,
        site_nav=bool(img_origin) if site_nav is None else site_nav,
        favicon=FAVICON,
        platform=snap.platforms[0] if snap.platforms else "",
        published=[(k, v) for k, v in sorted(snap.published_totals.items()) if k not in RECOMPUTED],
        platform_names=[PLATFORM_NAMES.get(p, p) for p in snap.platforms],
        usage=platform_use(snap, settings),
    )


def platform_use(snap: EventSnapshot, settings: Settings | None) -> list[dict[str, Any]]:
    """What each platform's API returned and made for the chat; on X, its cost at the settings' prices."""
    out = []
    for platform, u in sorted(snap.usage.items()):
        cost = None
        if platform == "x" and settings is not None:
            cost = (
                u.posts_read * settings.x_price_post_read_usd
                + u.users_read * settings.x_price_user_read_usd
                + u.posts_created * settings.x_price_post_created_usd
                + u.posts_created_with_url * settings.x_price_post_created_with_url_usd
            )
        out.append({
            "platform": platform, "name": PLATFORM_NAMES.get(platform, platform), "posts_read": u.posts_read,
            "users_read": u.users_read, "posts_created": u.posts_created,
            "posts_created_with_url": u.posts_created_with_url, "reposts_counted": u.reposts_counted,
            "cost": cost, "prices_as_of": settings.x_prices_as_of if settings else None,
        })  # fmt: skip
    return out


def largest_terms(counts: Mapping[str, int], top: int = TOP_TERMS) -> list[str]:
    """The terms drawn largest in a cloud, largest first (ties alphabetical)."""
    weights = cloud_weights(Counter(counts))
    return [t for t, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]


def draw_pictures(report: ChatReport, folder: Path) -> dict[str, Path | None]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "timeline": render_timeline(report.stats.per_minute, report.stats.questions, folder / "timeline.png"),
        "wheel": render_wheel(report.snapshot, folder / "wheel.png"),
        "wordcloud": render_cloud(report.word_terms, folder / "wordcloud.png", title="What was said"),
        "biocloud": render_cloud(report.bio_terms, folder / "biocloud.png", title="Who said it"),
    }


def data_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def stats_document(report: ChatReport) -> dict[str, Any]:
    """stats.json: the totals, questions, participants, per-minute counts and summary of the event."""
    snap = report.snapshot
    return {
        "event": {
            "id": snap.id,
            "kind": snap.kind,
            "title": snap.title,
            "hashtag": snap.hashtag,
            "channel": snap.channel,
            "host": snap.host,
            "starts_at": snap.starts_at.isoformat(),
            "ends_at": snap.ends_at.isoformat() if snap.ends_at else None,
            "timezone": snap.timezone,
        },
        "definitions": {
            "impressions": "sum over contributors of posts x followers; null when any follower count is unknown",
            "reach": "sum of followers of unique contributors; null when any follower count is unknown",
        },
        **report.stats.to_dict(),
        "summary": report.summary.to_dict(),
        "engagement": [
            {"source": e.source, "target": e.target, "replies": e.replies, "mentions": e.mentions, "weight": e.weight}
            for e in report.edges
        ],
        "word_cloud": dict(sorted(report.word_terms.items(), key=lambda kv: (-kv[1], kv[0]))[:100]),
        "bio_cloud": dict(sorted(report.bio_terms.items(), key=lambda kv: (-kv[1], kv[0]))[:100]),
        "generated_at": datetime.now(ZoneInfo("UTC")).isoformat(),
    }


def write_report(
    db: Database,
    event_id: int,
    out_dir: Path,
    *,
    pictures: bool = True,
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    fork: bool = False,
) -> Path:
    """Write the chat page and its files into `out_dir`; returns the path of index.html (`settings`: the
    prices a chat's use of X is costed at).

    With `fork` (and a second core, `beside.can_fork`), a chat of up to FORK_UP_TO posts has its transcript
    files written, and what needs no text analysis made
    (`_without_text`), by a forked process while this one analyses the text; whichever of the two is free
    first takes the next of those steps (`_Steps`). The same files, in about half the time. Only a caller
    that forks safely asks for it (the CLI: its one other thread, the progress bar's, holds nothing the
    child uses); a larger chat is written in this one process, so its memory stays one process's.
    """
    step = progress or (lambda _label: None)
    step("loading the record")
    with db.session() as session, gc_paused():
        snapshot = load_event(session, event_id)
        offered = cpd_offer.cpd_offered(session, event_id)
    step("analysing")
    snapshot = with_clean_questions(snapshot)  # with the questions' own words, for the transcript files too
    out_dir.mkdir(parents=True, exist_ok=True)
    fork = fork and len(snapshot.messages) <= FORK_UP_TO and can_fork()
    with gc_paused():  # every pass makes only acyclic objects (posts, terms, counts): nothing to collect
        assignments = assign_answers(snapshot)
        steps = _Steps(snapshot, assignments, out_dir)
        with steps.claims, Beside(steps.run, fork=fork) as beside:

            def without_text() -> tuple[EventStats, list[Edge]]:
                """The steps left once the text is analysed, then the child's: all of them are done before
                stats.json and the chat page are written, so a report failing in one changes neither, and the
                chat page never links to a transcript page not there yet."""
                done = steps.run()
                done.update(beside.join())
                return done[0]  # type: ignore[no-any-return]

            report = _with_text(snapshot, assignments, without_text)
        step("writing transcript, messages and stats")
        stats = orjson.dumps(stats_document(report), option=orjson.OPT_INDENT_2).decode()
        write_text_atomic(out_dir / "stats.json", stats)
    drawn: dict[str, Path | None] = {}
    if pictures:
        step("drawing the wheel, clouds and timeline")
        drawn = draw_pictures(report, out_dir)
    step("writing the chat page")
    cpd_dir = out_dir / "cpd"
    cpd_links = [(p.stem, f"cpd/{p.name}") for p in sorted(cpd_dir.glob("*.md"))] if cpd_dir.is_dir() else []
    drawn_uris = {name: data_uri(path) for name, path in drawn.items()}
    index = out_dir / "index.html"
    with gc_paused():
        transcript = _transcript(snapshot, assignments)
        entries = transcript.entries
        first, parts, more = entries, 1, None
        if entries > PAGED_OVER:
            first, parts = FIRST_SCREEN, _parts(entries, FIRST_SCREEN)
            more = (
                "transcript-2.html",
                f"The rest of the transcript: posts {first + 1:,} to {entries:,}, on {parts - 1} more pages",
            )
        with atomic_writer(index) as fh:  # written as it is made: a large chat's page is never one string
            for piece in _page(
                report, drawn_uris, lambda posts: transcript.groups(posts, 0, first), None, cpd_links=cpd_links,
                cpd_offered=offered, img_origin="", site_nav=None, more=more, settings=settings,
            ):  # fmt: skip
                fh.write(piece)
    _remove_stale_pages(out_dir, parts)
    return index


class _Steps:
    """The report's work that needs only the posts and their answers, in steps either process may take
    (`beside.Claims`): `_without_text` (step 0, whose result the report needs), record.json, the transcript
    pages after the chat page's first screen (for a chat of over PAGED_OVER entries), messages.csv and
    transcript.md, roughly the longest first."""

    def __init__(self, snapshot: EventSnapshot, assignments: Mapping[int, Assignment], out_dir: Path) -> None:
        self.snapshot, self.assignments, self.out_dir = snapshot, assignments, out_dir
        self._question_of: Mapping[int, int | None] | None = None
        self.steps: tuple[Callable[[], Any], ...] = (
            lambda: _without_text(snapshot, assignments), self._json, self._pages, self._csv, self._markdown
        )  # fmt: skip
        self.claims = Claims(len(self.steps))

    def run(self) -> dict[int, Any]:
        """Take and do steps until none is left; what each made, by its number."""
        return {number: self.steps[number]() for number in self.claims}

    @property
    def question_of(self) -> Mapping[int, int | None]:
        """`question_of` of the posts, made once in each process that writes a file needing it."""
        if self._question_of is None:
            self._question_of = question_of(self.snapshot, self.assignments)
        return self._question_of

    def _json(self) -> None:
        write_json(self.snapshot, self.out_dir / "record.json", self.question_of)

    def _csv(self) -> None:
        write_csv(self.snapshot, self.out_dir / "messages.csv", self.question_of)

    def _markdown(self) -> None:
        write_markdown(self.snapshot, self.out_dir / "transcript.md", self.question_of)

    def _pages(self) -> None:
        transcript = _transcript(self.snapshot, self.assignments)
        if transcript.entries > PAGED_OVER:
            _write_transcript_pages(self.snapshot, transcript, self.out_dir, FIRST_SCREEN)


def _parts(entries: int, first: int) -> int:
    """How many parts a transcript of this many entries is in: the chat page (the `first` entries) and the
    transcript pages after it."""
    return 1 + -(-(entries - first) // PAGE_ENTRIES)


def _write_transcript_pages(snap: EventSnapshot, transcript: _Transcript, out_dir: Path, first: int) -> None:
    """The transcript after the chat page's first `first` entries, PAGE_ENTRIES at a time, into
    transcript-2.html, transcript-3.html…, each linking to the one before and after (`_parts` of them
    with the chat page). Written before the chat page, so it never links to a page not there yet."""
    zone = ZoneInfo(snap.timezone)
    posts = _PostHtml(snap, zone)
    entries = transcript.entries
    parts = _parts(entries, first)
    template = _env.get_template("transcript_page.html.j2")
    for part in range(2, parts + 1):
        start = first + (part - 2) * PAGE_ENTRIES
        stop = min(start + PAGE_ENTRIES, entries)
        with atomic_writer(out_dir / f"transcript-{part}.html") as fh:
            for piece in template.generate(
                event=snap, favicon=FAVICON, part=part, parts=parts, first=start + 1, last=stop, entries=entries,
                local_date=snap.starts_at.astimezone(zone).strftime("%d %B %Y").lstrip("0"),
                transcript=transcript.groups(posts, start, stop),
                previous="index.html" if part == 2 else f"transcript-{part - 1}.html",
                next=f"transcript-{part + 1}.html" if part < parts else None,
            ):  # fmt: skip
                fh.write(piece)


_PAGE_FILE = re.compile(r"transcript-(\d+)\.html")


def _remove_stale_pages(out_dir: Path, parts: int) -> None:
    """Transcript pages an earlier, longer report left in the folder (this one is in `parts` parts)."""
    for path in out_dir.glob("transcript-*.html"):
        found = _PAGE_FILE.fullmatch(path.name)
        if found and int(found.group(1)) > parts:
            path.unlink(missing_ok=True)
