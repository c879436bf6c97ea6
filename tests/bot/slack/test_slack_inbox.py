"""A Slack message event acked with a 200 is never lost: `huddlebot web` in processes of its own, killed.

Slack sends an event again only if it did not get its 200, so an event must be on disk before the 200
leaves. The first web process here is started with SLACK_RECORDER_START_DELAY_SECONDS, so it acks
and certainly does not store (no race with its recorder), and is killed with SIGKILL; the reply must
then be stored, exactly once, by the next process on the same database. If the database does not take
the event before the ack, Slack gets no 200 (and retries) and nothing of the event is written.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.huddles import flow, sessions
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.fakes.slack_web import SIGNING_SECRET, event_body, free_port, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Answer, MessageRow

ROOT = Path(__file__).resolve().parents[3]
JSON = "application/json"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
HELD = {"SLACK_RECORDER_START_DELAY_SECONDS": "86400"}  # acks, and stores nothing while the test runs
PATIENT = "Bed 4 John Smith DOB 01/02/1950 NHS no 943 476 5919"


@contextmanager
def _web_processes(
    fake: FakeSlack, db_url: str, logs: list[Path], **extra: str
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """`huddlebot web` on one Slack bot token, one process per log, all started at once; their addresses
    once they answer."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "WEB_"))}
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for log in logs:
            port = free_port()
            env = {
                **clean, "DATABASE_URL": db_url, "SLACK_API_URL": fake.url, "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": str(port),
                "HUDDLEBOT_OUTPUT_DIR": str(log.parent / "out"), **extra,
            }  # fmt: skip
            with log.open("ab") as output:
                command = [sys.executable, "-m", "bot.cli", "web"]
                process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
            started.append((f"http://127.0.0.1:{port}", process))
        for (base, process), log in zip(started, logs, strict=True):
            wait_for(partial(_up_or_gone, base, process), "the web process up", timeout=180)
            assert process.poll() is None, log.read_text()
        yield started
    finally:
        for _, process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@contextmanager
def _web_process(
    fake: FakeSlack, db_url: str, log: Path, **extra: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """One `huddlebot web` process (see _web_processes)."""
    with _web_processes(fake, db_url, [log], **extra) as [started]:
        yield started


def _up_or_gone(base: str, process: subprocess.Popen[bytes]) -> bool:
    """Whether the process answers HTTP, or has exited (its log then says why)."""
    if process.poll() is not None:
        return True
    try:
        httpx.get(f"{base}/", timeout=5)
    except httpx.TransportError:
        return False
    return True


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def _huddle(db: Database, fake: FakeSlack, db_url: str) -> str:
    """An open huddle in C1; its thread."""
    definition = HuddleDefinition(name="Safety", channel="C1", days=["mon"], time="07:45", prompts=["Incidents"])
    event_id = flow.open_huddle(db, slack_for(slack_settings(fake, db_url)), definition, definition_id=None)
    with db.session() as s:
        where = sessions.opening_ts(s, event_id)
    assert where is not None
    return where[1]


def _reply(thread: str, ts: str, words: str = "1: none", user: str = "U1") -> str:
    event = {"type": "message", "channel": "C1", "user": user, "text": words, "ts": ts, "thread_ts": thread}
    return event_body(event, f"Ev{ts}")


def _edit(thread: str, ts: str, words: str, at: str) -> str:
    changed = {"type": "message", "user": "U1", "text": words, "ts": ts, "thread_ts": thread, "edited": {"ts": at}}
    event = {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": at, "message": changed}
    return event_body(event, f"Ev{at}")


def _stored(db: Database, ts: str) -> list[MessageRow]:
    with db.session() as s:
        return list(s.scalars(select(MessageRow).where(MessageRow.platform_id == f"C1:{ts}")))


def _answers(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Answer)) or 0)


def _inbox(db: Database) -> list[str | None]:
    """The event ids waiting in the inbox (in SQL, so this module loads on the code before it, to fail there)."""
    with db.session() as s:
        return list(s.scalars(text("SELECT event_id FROM slack_inbox ORDER BY id")))


def test_a_reply_acked_before_a_kill_is_stored_once_by_the_next_process(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """It fails on the code before the inbox: the reply was held in memory only and died with the process."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        with _web_process(fake, db_url, tmp_path / "first.log", **HELD) as (base, first):
            with httpx.Client(timeout=30) as client:
                for body in (_reply(thread, "1800000000.000001", "1: nione"),
                             _edit(thread, "1800000000.000001", "1: none", "1800000000.000002")):  # fmt: skip
                    assert post_signed(client, base, body, content_type=JSON).status_code == 200
            _kill(first)
        assert _stored(db, "1800000000.000001") == []  # acked and not stored when the process died
        with _web_process(fake, db_url, tmp_path / "second.log"):
            assert wait_for(lambda: _stored(db, "1800000000.000001"), "the acked reply stored", timeout=120)
            assert wait_for(lambda: _inbox(db) == [], "the inbox emptied", timeout=120)
        [reply] = _stored(db, "1800000000.000001")
        assert reply.text == "1: none"  # the edit was applied after the reply it changes, as they arrived
        assert _answers(db) == 1


def test_a_retry_before_and_after_the_kill_is_stored_once(db: Database, db_url: str, tmp_path: Path) -> None:
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        body = _reply(thread, "1800000000.000011")
        with _web_process(fake, db_url, tmp_path / "first.log", **HELD) as (base, first):
            with httpx.Client(timeout=30) as client:
                assert post_signed(client, base, body, content_type=JSON).status_code == 200
                assert post_signed(client, base, body, content_type=JSON, extra_headers=RETRY).status_code == 200
            _kill(first)
        assert _inbox(db) == ["Ev1800000000.000011"]  # a retry of an event still waiting is the same row
        with _web_process(fake, db_url, tmp_path / "second.log") as (base, _):
            assert wait_for(lambda: _stored(db, "1800000000.000011"), "the acked reply stored", timeout=120)
            with httpx.Client(timeout=30) as client:
                assert post_signed(client, base, body, content_type=JSON, extra_headers=RETRY).status_code == 200
                later = _reply(thread, "1800000000.000012")
                assert post_signed(client, base, later, content_type=JSON).status_code == 200
            # Stored in arrival order: once the later reply is stored, the retry before it has been dealt with.
            assert wait_for(lambda: _stored(db, "1800000000.000012"), "the later reply stored", timeout=120)
            assert wait_for(lambda: _inbox(db) == [], "the inbox emptied", timeout=120)
        assert len(_stored(db, "1800000000.000011")) == 1
        assert _answers(db) == 2


def test_two_processes_starting_together_store_what_a_killed_one_acked_once(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """Both drain the inbox as they start. Withheld replies show that no event was taken by both: each
    author is told once, and a second store of a reply would tell them again."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        replies = [f"1800000000.{n:06d}" for n in range(1000, 1300)]
        withheld = {f"U{n}" for n in range(0, len(replies), 3)}
        with _web_process(fake, db_url, tmp_path / "first.log", **HELD) as (base, first):
            with httpx.Client(timeout=30) as client:
                for n, ts in enumerate(replies):
                    words = f"1: {PATIENT}" if f"U{n}" in withheld else f"1: nothing new {n}"
                    sent = post_signed(client, base, _reply(thread, ts, words, f"U{n}"), content_type=JSON)
                    assert sent.status_code == 200
            _kill(first)
        assert len(_inbox(db)) == len(replies)
        with _web_processes(fake, db_url, [tmp_path / "second.log", tmp_path / "third.log"]):
            assert wait_for(lambda: _inbox(db) == [], "the inbox emptied", timeout=120)
            assert wait_for(
                lambda: len(fake.of("chat.postEphemeral")) >= len(withheld), "the authors told", timeout=120
            )
        assert all(len(_stored(db, ts)) == 1 for ts in replies)
        assert _answers(db) == len(replies)
        assert sorted(str(call["user"]) for call in fake.of("chat.postEphemeral")) == sorted(withheld)


@contextmanager
def _writes_refused(db_url: str) -> Iterator[None]:
    """Another connection holds the database's write lock (SQLite) or the inbox's (PostgreSQL) throughout."""
    if db_url.startswith("sqlite"):
        holder = sqlite3.connect(str(make_url(db_url).database), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    database = Database(db_url, migrate=False)
    try:
        with database.engine.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE slack_inbox IN EXCLUSIVE MODE"))
            yield
    finally:
        database.dispose()


def test_a_reply_the_database_cannot_take_is_not_acked_and_its_retry_is_stored_once(db: Database, db_url: str) -> None:
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        body = _reply(thread, "1800000000.000021")
        with running_web(slack_settings(fake, db_url), db) as base, httpx.Client(timeout=30) as client:
            with _writes_refused(db_url):
                refused = post_signed(client, base, body, content_type=JSON)
            assert refused.status_code != 200  # so Slack sends it again
            assert _inbox(db) == [] and _stored(db, "1800000000.000021") == []  # nothing half-written
            assert post_signed(client, base, body, content_type=JSON, extra_headers=RETRY).status_code == 200
            assert wait_for(lambda: _stored(db, "1800000000.000021"), "the retried reply stored")
            assert wait_for(lambda: _inbox(db) == [], "the inbox emptied")
        assert len(_stored(db, "1800000000.000021")) == 1
        assert _answers(db) == 1


# With SLACK_STORE_IN_WORKER the web process only acks: `huddlebot worker` stores what it acked.
IN_WORKER = {"SLACK_STORE_IN_WORKER": "true"}


@contextmanager
def _worker_process(fake: FakeSlack, db_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`huddlebot worker` on the same database and Slack as the web processes, storing their inbox."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "WEB_"))}
    env = {
        **clean, "DATABASE_URL": db_url, "SLACK_API_URL": fake.url, "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "HUDDLEBOT_OUTPUT_DIR": str(log.parent / "out"),
        "STANDBY_POLL_SECONDS": "0.5", **IN_WORKER,
    }  # fmt: skip
    with log.open("ab") as output:
        command = [sys.executable, "-m", "bot.cli", "worker"]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_with_store_in_worker_the_web_process_only_acks_and_the_worker_stores_once(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """The web process leaves every acked event in the inbox (it never stores, so no timing is involved:
    had it stored one, the inbox would not hold it); killed, its events are stored by a worker started
    after, in arrival order, each once, and a withheld reply's author is told once."""
    with running_fake_slack(members={"C1": ["U1", "U2"]}) as fake:
        thread = _huddle(db, fake, db_url)
        bodies = [
            _reply(thread, "1800000000.000031", "1: nione"),
            _edit(thread, "1800000000.000031", "1: none", "1800000000.000032"),
            _reply(thread, "1800000000.000033", f"1: {PATIENT}", user="U2"),
        ]
        with _web_process(fake, db_url, tmp_path / "web.log", **IN_WORKER) as (base, web):
            with httpx.Client(timeout=30) as client:
                for body in bodies:
                    assert post_signed(client, base, body, content_type=JSON).status_code == 200
                assert post_signed(client, base, bodies[0], content_type=JSON, extra_headers=RETRY).status_code == 200
            assert _inbox(db) == ["Ev1800000000.000031", "Ev1800000000.000032", "Ev1800000000.000033"]
            _kill(web)
        assert _stored(db, "1800000000.000031") == []
        with _worker_process(fake, db_url, tmp_path / "worker.log") as worker:
            assert wait_for(lambda: _inbox(db) == [], "the inbox emptied by the worker", timeout=120)
            assert wait_for(lambda: fake.of("chat.postEphemeral"), "the author told", timeout=120)
            assert worker.poll() is None
        [reply] = _stored(db, "1800000000.000031")
        assert reply.text == "1: none"  # the edit applied after the reply it changes
        assert len(_stored(db, "1800000000.000033")) == 1
        assert _answers(db) == 2
        assert [call["user"] for call in fake.of("chat.postEphemeral")] == ["U2"]


def test_with_store_in_worker_replies_acked_while_the_worker_runs_are_stored_once_across_its_kill(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """The worker stores while the web process acks; killed (perhaps mid-batch) and started again, it
    stores what is left: every acked reply exactly once."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        first, second = [f"1800000000.{n:06d}" for n in range(2000, 2150)], ["1800000000.002150"]
        web = _web_process(fake, db_url, tmp_path / "web.log", **IN_WORKER)
        with web as (base, _), httpx.Client(timeout=30) as client:
            with _worker_process(fake, db_url, tmp_path / "worker1.log") as worker:
                for ts in first:
                    assert post_signed(client, base, _reply(thread, ts), content_type=JSON).status_code == 200
                assert wait_for(lambda: _stored(db, first[0]), "the worker storing", timeout=120)
                _kill(worker)
            for ts in second:
                assert post_signed(client, base, _reply(thread, ts), content_type=JSON).status_code == 200
            with _worker_process(fake, db_url, tmp_path / "worker2.log"):
                assert wait_for(lambda: _stored(db, second[-1]), "the later reply stored", timeout=120)
                assert wait_for(lambda: _inbox(db) == [], "the inbox emptied", timeout=120)
        assert all(len(_stored(db, ts)) == 1 for ts in first + second)
        assert _answers(db) == len(first) + len(second)


# By default the web process stores nothing itself: a child of its own, its store process, does.


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, ended and waiting to be reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    """The running processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _store_process(web: subprocess.Popen[bytes]) -> int:
    """The web process's one child, once it has one."""
    children = wait_for(lambda: _children(web.pid), "the web process's store process", timeout=60)
    [child] = children
    assert "bot.slack.store_process" in Path(f"/proc/{child}/cmdline").read_text()
    return child


def test_by_default_a_child_of_the_web_process_stores_while_the_web_process_is_frozen(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """Fails on the code that stored in a thread of the web process: there is no child. Here the store
    process is stopped (SIGSTOP) while replies are acked, so they wait in the inbox; then the web process
    is stopped and the store process let go, and it stores them all while the process that acked them
    cannot run at all."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        first, later = "1800000000.004000", [f"1800000000.{n:06d}" for n in range(4001, 4051)]
        with _web_process(fake, db_url, tmp_path / "web.log") as (base, web), httpx.Client(timeout=30) as client:
            assert post_signed(client, base, _reply(thread, first), content_type=JSON).status_code == 200
            assert wait_for(lambda: _stored(db, first), "the first reply stored", timeout=120)
            child = _store_process(web)
            os.kill(child, signal.SIGSTOP)
            try:
                for ts in later:
                    assert post_signed(client, base, _reply(thread, ts), content_type=JSON).status_code == 200
                assert _inbox(db) == [f"Ev{ts}" for ts in later]  # acked, and not stored by the web process
                web.send_signal(signal.SIGSTOP)
                try:
                    os.kill(child, signal.SIGCONT)
                    assert wait_for(lambda: _inbox(db) == [], "the store process emptying the inbox", timeout=120)
                finally:
                    web.send_signal(signal.SIGCONT)
            finally:
                os.kill(child, signal.SIGCONT)
        assert all(len(_stored(db, ts)) == 1 for ts in [first, *later])
        assert _answers(db) == 1 + len(later)


def test_the_store_process_ends_when_its_web_process_is_killed(db: Database, db_url: str, tmp_path: Path) -> None:
    """Fails on the code before the store process: there is no child. It reads end-of-file on its pipe
    from the killed web process and exits; none is left behind."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        with _web_process(fake, db_url, tmp_path / "web.log") as (base, web):
            with httpx.Client(timeout=30) as client:
                body = _reply(thread, "1800000000.005000")
                assert post_signed(client, base, body, content_type=JSON).status_code == 200
            assert wait_for(lambda: _stored(db, "1800000000.005000"), "the reply stored", timeout=120)
            child = _store_process(web)
            _kill(web)
            assert wait_for(lambda: not _alive(child), "the store process ended", timeout=60)


def test_by_default_events_acked_just_before_a_kill_are_each_stored_once_in_order(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """The web process is killed straight after acking its last event, its store process perhaps in the
    middle of a batch: that batch is committed or rolled back whole, and a new web process's store
    process stores the rest. Each reply is stored once with its edit applied after it (arrival order),
    and each withheld reply's author is told once (a second store would tell them again)."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        replies = [f"1800000000.{n:06d}" for n in range(6000, 6150)]
        withheld = {f"U{n}" for n in range(0, len(replies), 3)}
        bodies = []
        for n, ts in enumerate(replies):
            if f"U{n}" in withheld:
                bodies.append(_reply(thread, ts, f"1: {PATIENT}", f"U{n}"))
            else:
                edited_at = f"1800000001.{n:06d}"
                bodies += [_reply(thread, ts, f"1: nione {n}"), _edit(thread, ts, f"1: none {n}", edited_at)]
        with _web_process(fake, db_url, tmp_path / "first.log") as (base, first):
            with httpx.Client(timeout=30) as client:
                for body in bodies:
                    assert post_signed(client, base, body, content_type=JSON).status_code == 200
            child = _store_process(first)
            _kill(first)
        assert wait_for(lambda: not _alive(child), "the first store process ended", timeout=60)
        with _web_process(fake, db_url, tmp_path / "second.log"):
            assert wait_for(lambda: _inbox(db) == [], "the inbox emptied", timeout=120)
            assert wait_for(
                lambda: len(fake.of("chat.postEphemeral")) >= len(withheld), "the authors told", timeout=120
            )
        for n, ts in enumerate(replies):
            stored = _stored(db, ts)
            assert len(stored) == 1
            assert f"U{n}" in withheld or stored[0].text == f"1: none {n}"
        assert _answers(db) == len(replies)
        assert sorted(str(call["user"]) for call in fake.of("chat.postEphemeral")) == sorted(withheld)


def test_a_store_process_that_dies_is_replaced_at_the_next_event(db: Database, db_url: str, tmp_path: Path) -> None:
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        with _web_process(fake, db_url, tmp_path / "web.log") as (base, web), httpx.Client(timeout=30) as client:
            assert post_signed(client, base, _reply(thread, "1800000000.007000"), content_type=JSON).status_code == 200
            assert wait_for(lambda: _stored(db, "1800000000.007000"), "the first reply stored", timeout=120)
            first = _store_process(web)
            os.kill(first, signal.SIGKILL)
            assert wait_for(lambda: not _alive(first), "the store process gone", timeout=60)
            assert post_signed(client, base, _reply(thread, "1800000000.007001"), content_type=JSON).status_code == 200
            assert wait_for(lambda: _stored(db, "1800000000.007001"), "the later reply stored", timeout=120)
            assert _store_process(web) != first
            assert web.poll() is None
        assert _answers(db) == 2


def _store_processes() -> set[int]:
    """This process's store processes: those of the apps it serves in threads."""
    return {pid for pid in _children(os.getpid()) if "store_process" in Path(f"/proc/{pid}/cmdline").read_text()}


def test_an_app_served_in_this_process_takes_its_store_process_with_it_as_it_shuts_down(
    db: Database, db_url: str
) -> None:
    """As a test run serves hundreds of apps: none leaves a store process behind once its server stops."""
    with running_fake_slack(members={"C1": ["U1"]}) as fake:
        thread = _huddle(db, fake, db_url)
        before = _store_processes()
        with running_web(slack_settings(fake, db_url), db) as base, httpx.Client(timeout=30) as client:
            assert post_signed(client, base, _reply(thread, "1800000000.008000"), content_type=JSON).status_code == 200
            assert wait_for(lambda: _stored(db, "1800000000.008000"), "the reply stored", timeout=120)
            [child] = _store_processes() - before
        assert wait_for(lambda: not _alive(child), "the store process ended with its server", timeout=60)
