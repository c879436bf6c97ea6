"""Chat pages and their pictures, built once per version of an event's record.

Analysing a chat and drawing its wheel and clouds takes far longer than serving it, and a finished
chat never changes; so the report and pictures are kept per (event, version), where the version
changes whenever a message is captured, edited or removed, or the event itself changes. Pictures live under
HUDDLEBOT_OUTPUT_DIR/web/event-<id>/<version>/ and older versions are deleted once a new one is drawn.
Matplotlib is not thread-safe, so drawing is serialised.

Builds are single-flight: however many requests arrive for a version not yet built, one thread
builds it and the others wait for that build. They are incremental where they can be: when the only
change since the last build is new posts, only the new posts are loaded and joined to the previous
snapshot (the analysis itself then runs on the whole). A running chat changes every few seconds, so
its page may be served from the last build while the next one is made in the background
(`stale_ok`), at most every STALE_SECONDS, rather than making every visitor wait for an analysis of
the whole record or analysing it again for every new post.

Nobody waits for a large record's first build: with no build of the event kept, a record of more than
ANALYSE_IN_REQUEST_UP_TO posts is built in the background (`ready_build` answers Preparing at once) and the
pages show what the database can answer quickly until it is done.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import shutil
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from cachetools import LRUCache
from fastapi import HTTPException
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from analysis.report import PICTURES, ChatReport, build_report, draw_pictures
from bot.web.picture_files import picture_dir
from transcripts.db import Database
from transcripts.models import Definition, Event, MessageRow, OutboundPost, Prompt
from transcripts.snapshot import EventSnapshot, load_event

# An analysis is a CPU-bound thread in the web process (Slack's replies are stored by another process:
# bot.slack.store_process). With CPython's default 5 ms switch interval, every
# request (and the event loop acking Slack) waits up to 5 ms each time it needs the GIL back from it,
# many times per request; 0.5 ms keeps polls and acks quick (at a small cost in throughput). Every web
# process imports this module (the chat pages), so this is the one place the interval is set.
BUILD_SWITCH_INTERVAL = 0.0005
sys.setswitchinterval(min(sys.getswitchinterval(), BUILD_SWITCH_INTERVAL))

_draw_lock = threading.Lock()
_cache_lock = threading.Lock()
KEEP_REPORTS = 16
STALE_SECONDS = 30.0  # a running chat's page is rebuilt at most this often, however fast posts arrive,
STALE_FACTOR = 10.0  # and at most once per ten times its last build's length (analysis <= 1/10 of the time)
# A record this small is analysed while its first visitor waits (well under a second), so they get the
# whole page at once; a larger one is analysed in the background while its pages show what SQL can.
ANALYSE_IN_REQUEST_UP_TO = 2_000
PREPARING_REFRESH = 5  # seconds between a "being prepared" answer and the next try (Retry-After, meta refresh)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Built:
    version: str
    report: ChatReport
    built_at: float = field(default_factory=time.monotonic)
    took: float = 0.0  # seconds the build took: a running chat is not rebuilt more often than in proportion


@dataclass(frozen=True, slots=True)
class Preparing:
    """No build to serve yet: the record's version, whose build is under way in the background."""

    version: str

    @property
    def posts(self) -> int:
        return _posts_in(self.version)


_reports: LRUCache[tuple[str, int], Built] = LRUCache(maxsize=KEEP_REPORTS)
_flights: dict[tuple[str, int], tuple[str, Future[Built]]] = {}


def record_version(db: Database, event_id: int) -> str:
    """Changes whenever what the chat page shows changes: the event's visible messages (count, newest id,
    last edit, removals) and the event itself (`_about`)."""
    with db.session() as session:
        count, newest, edited, removed = session.execute(
            select(
                func.count(MessageRow.id),
                func.max(MessageRow.id),
                func.max(MessageRow.edited_at),
                func.count(MessageRow.deleted_at),
            ).where(MessageRow.event_id == event_id)
        ).one()
        about = _about(session, event_id)
    stamp = int(edited.timestamp()) if edited is not None else 0
    return f"{count}-{newest or 0}-{stamp}-{removed}-{about}"


def _about(session: Session, event_id: int) -> str:
    """A digest of everything about the event other than its messages: its own columns, its prompts and
    their posts, and its huddle definition (whose `cpd_logs` decides whether the page invites CPD logs). A
    manager who turns CPD logs off, or a host who renames the chat, must not leave the old page served."""
    event = session.get(Event, event_id)
    if event is None:
        return "0"
    own = [getattr(event, column.key) for column in inspect(Event).column_attrs]
    prompts = session.execute(
        select(Prompt.id, Prompt.kind, Prompt.number, Prompt.text, Prompt.due_at, Prompt.posted_at, Prompt.message_id)
        .where(Prompt.event_id == event_id)
        .order_by(Prompt.id)
    ).all()
    posts = session.execute(
        select(OutboundPost.prompt_id, OutboundPost.platform, OutboundPost.platform_id)
        .join(Prompt, OutboundPost.prompt_id == Prompt.id)
        .where(Prompt.event_id == event_id)
        .order_by(OutboundPost.id)
    ).all()
    definition = session.get(Definition, event.definition_id) if event.definition_id is not None else None
    about = repr((own, [tuple(p) for p in prompts], [tuple(p) for p in posts], definition and definition.body))
    return hashlib.blake2b(about.encode(), digest_size=6).hexdigest()


def _only_new_posts(old: str, new: str) -> int | None:
    """The newest id of the old version when the new one differs from it by new posts alone, else None."""
    *old_counts, old_about = old.split("-")
    *new_counts, new_about = new.split("-")
    old_count, old_newest, old_edit, old_removed = (int(p) for p in old_counts)
    new_count, new_newest, new_edit, new_removed = (int(p) for p in new_counts)
    added = new_count > old_count and new_newest > old_newest
    same = (old_edit, old_removed, old_about) == (new_edit, new_removed, new_about)
    return old_newest if added and same else None


def _snapshot(db: Database, event_id: int, previous: Built | None, version: str) -> EventSnapshot:
    """The record's snapshot: the previous one plus the new posts when that is all that changed."""
    since = _only_new_posts(previous.version, version) if previous is not None else None
    with db.session() as session:
        if previous is None or since is None:
            return load_event(session, event_id)
        newer = load_event(session, event_id, after_id=since)
    old = previous.report.snapshot
    if [(p.id, p.posted_at, p.due_at, p.post_ids) for p in old.prompts] != [
        (p.id, p.posted_at, p.due_at, p.post_ids) for p in newer.prompts
    ]:
        with db.session() as session:
            return load_event(session, event_id)
    messages = sorted([*old.messages, *newer.messages], key=lambda m: (m.created_at, m.id))
    return dataclasses.replace(newer, messages=messages, people={**old.people, **newer.people})


def _build(db: Database, event_id: int, key: tuple[str, int], version: str, flight: Future[Built]) -> Built:
    try:
        with _cache_lock:
            previous = _reports.get(key)
        began = time.monotonic()
        report = build_report(_snapshot(db, event_id, previous, version))
        built = Built(version, report, took=time.monotonic() - began)
        with _cache_lock:
            current = _reports.get(key)
            if current is None or current.version != built.version:
                _reports[key] = built
        flight.set_result(built)
        return built
    except BaseException as error:
        flight.set_exception(error)
        raise
    finally:
        with _cache_lock:
            if _flights.get(key, (None, None))[1] is flight:
                del _flights[key]


def built_report(db: Database, event_id: int, *, stale_ok: bool = False) -> Built:
    """The report for the event's current version, analysed again only when the record changed.

    With `stale_ok` (a running chat), a recent build (STALE_SECONDS, STALE_FACTOR) is returned as it is, and
    an older one is returned at once while the current version is built in the background (one
    build at a time per event); without it, the caller waits for the current version's build.
    """
    key = (db.url, event_id)
    if stale_ok:
        with _cache_lock:
            cached = _reports.get(key)
        if cached is not None and time.monotonic() - cached.built_at < max(STALE_SECONDS, STALE_FACTOR * cached.took):
            return cached
    version = record_version(db, event_id)
    with _cache_lock:
        cached = _reports.get(key)
        if cached is not None and cached.version == version:
            return cached
        flight = _flights.get(key)
        if flight is not None and (flight[0] == version or (stale_ok and cached is not None)):
            if stale_ok and cached is not None:
                return cached
            waiting: Future[Built] | None = flight[1]
        else:
            waiting = None
            mine: Future[Built] = Future()
            _flights[key] = (version, mine)
    if waiting is not None:
        return waiting.result()
    if stale_ok and cached is not None:
        threading.Thread(target=_build, args=(db, event_id, key, version, mine), daemon=True).start()
        return cached
    return _build(db, event_id, key, version, mine)


def ready_build(db: Database, event_id: int, *, stale_ok: bool = False) -> Built | Preparing:
    """The build to serve now, or Preparing while the event's first build is made in the background.

    With a build of the event kept (of any version), this is `built_report`. With none, a record of up
    to ANALYSE_IN_REQUEST_UP_TO posts is built in the request; a larger one is started in the background
    (single-flight, as `prepare`) and Preparing tells the page to show what it can without the analysis.
    """
    key = (db.url, event_id)
    with _cache_lock:
        kept = key in _reports
        flight = _flights.get(key)
    if kept:
        return built_report(db, event_id, stale_ok=stale_ok)
    if flight is not None and _posts_in(flight[0]) > ANALYSE_IN_REQUEST_UP_TO:
        return Preparing(flight[0])  # the first build is under way: no need to read the record's version again
    version = record_version(db, event_id)
    if _posts_in(version) <= ANALYSE_IN_REQUEST_UP_TO:
        return built_report(db, event_id, stale_ok=stale_ok)
    prepare(db, event_id, version)
    return built_version(db, event_id, version) or Preparing(version)


def analysed(db: Database, event_id: int, *, stale_ok: bool = False) -> Built:
    """The build for what cannot be shown without the analysis (stats, a CPD log, a picture).

    While a large chat's first analysis is under way this answers 503 with Retry-After at once, rather than
    holding the request (and a worker thread) for the whole analysis: a script retries, a person's page
    refreshes itself (the error page turns Retry-After into a meta refresh).
    """
    built = ready_build(db, event_id, stale_ok=stale_ok)
    if isinstance(built, Preparing):
        raise HTTPException(
            503,
            f"The analysis of this chat's {built.posts:,} posts is being prepared: this will be ready in a moment.",
            headers={"Retry-After": str(PREPARING_REFRESH), "Cache-Control": "no-store"},
        )
    return built


def _posts_in(version: str) -> int:
    """The number of stored posts a record version counts (removed ones included): the record's size."""
    return int(version.split("-", 1)[0])


def prepare(db: Database, event_id: int, version: str | None = None) -> None:
    """Start building the event's report in the background if none is kept or under way.

    The live view calls this for a running chat: by the time someone opens the chat page, its
    analysis is ready instead of starting then (a 50,000-post chat takes many seconds to analyse).
    `version` is the record's current version when the caller has just read it.
    """
    key = (db.url, event_id)
    with _cache_lock:
        if key in _reports or key in _flights:
            return
    if version is None:
        version = record_version(db, event_id)
    with _cache_lock:
        if key in _reports or key in _flights:
            return
        flight: Future[Built] = Future()
        _flights[key] = (version, flight)
    threading.Thread(target=_build_quietly, args=(db, event_id, key, version, flight), daemon=True).start()


def _build_quietly(db: Database, event_id: int, key: tuple[str, int], version: str, flight: Future[Built]) -> None:
    """A head start only: if it fails, whoever waits on it sees the error and the next request builds again.

    Nobody may be waiting (a page said "being prepared"), so the failure is logged here too.
    """
    try:
        _build(db, event_id, key, version, flight)
    except Exception:
        log.exception("building the report of event %s (version %s) failed", event_id, version)


def built_version(db: Database, event_id: int, version: str) -> Built | None:
    """The kept build of exactly this version while the record has only gained posts since: a picture link
    on a page of a running chat names the version it was drawn from. Never once a post it showed was
    edited, deleted or erased, so no picture drawn from removed words is served again."""
    with _cache_lock:
        cached = _reports.get((db.url, event_id))
    if cached is None or cached.version != version:
        return None
    current = record_version(db, event_id)
    return cached if current == version or _only_new_posts(version, current) is not None else None


def will_draw(built: Built, output_dir: Path) -> dict[str, bool]:
    """Which pictures the version has, without drawing them: the drawn record once drawn, else what
    the report holds (a timeline needs posts, a wheel exchanges, a cloud terms)."""
    marker = picture_dir(output_dir, built.report.snapshot.id, built.version) / "drawn.txt"
    if marker.exists():
        drawn = set(marker.read_text(encoding="utf-8").split())
        return {name: name in drawn for name in PICTURES}
    report = built.report
    has = {
        "timeline": bool(report.stats.activity),
        "wheel": bool(report.edges),
        "wordcloud": bool(report.word_terms),
        "biocloud": bool(report.bio_terms),
    }
    return {name: has.get(name, True) for name in PICTURES}


def drawn_pictures(built: Built, output_dir: Path) -> dict[str, bool]:
    """Draw the version's pictures once (the chat page needs them; the live view does not)."""
    folder = picture_dir(output_dir, built.report.snapshot.id, built.version)
    marker = folder / "drawn.txt"
    with _draw_lock:
        if marker.exists():
            drawn = set(marker.read_text(encoding="utf-8").split())
        else:
            paths = draw_pictures(built.report, folder)
            drawn = {name for name, path in paths.items() if path is not None}
            marker.write_text(" ".join(sorted(drawn)), encoding="utf-8")
            for old in folder.parent.iterdir():
                if old != folder and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
    return {name: name in drawn for name in PICTURES}
