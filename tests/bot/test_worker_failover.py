"""Workers as separate processes: one leads, a standby takes over when it is killed mid-chat.

No question is posted twice, none is lost, and every post made while the leader was down is captured.
This is the restart case too: the standby is a worker (re)started while a chat runs. Who leads is
read from each worker's own log (what it says once it holds the lock), never assumed from timing,
and the process killed is the one that said it leads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.chats.setup import add_chat
from config.chat_definition import ChatDefinition
from tests.fakes.waiting import wait_for
from tests.fakes.x_api import HOST_ID, running_fake_x
from transcripts.db import Database
from transcripts.models import Event, MessageRow, OutboundPost, Prompt

OFFSETS = [3, 6, 9, 12, 15, 18]
LEADS = "this worker is now the leader"
WAITS = "another worker leads; waiting as a standby"


def _worker(db_url: str, base_url: str, out: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url, "X_API_BASE_URL": base_url, "X_BEARER_TOKEN": "b", "X_CONSUMER_KEY": "ck",
        "X_CONSUMER_SECRET": "cs", "X_ACCESS_TOKEN": "at", "X_ACCESS_TOKEN_SECRET": "ats",
        "HUDDLEBOT_OUTPUT_DIR": str(out), "WORKER_RECONCILE_SECONDS": "1", "STANDBY_POLL_SECONDS": "0.5",
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _posted_questions(db: Database, event_id: int) -> int:
    with db.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(OutboundPost)
                .join(Prompt, Prompt.id == OutboundPost.prompt_id)
                .where(Prompt.event_id == event_id, Prompt.kind == "question", OutboundPost.status == "posted")
            )
            or 0
        )


def test_standby_takes_over_when_the_leader_dies_mid_chat(db: Database, tmp_path: Path) -> None:
    with running_fake_x() as fake:
        fake.add_user(HOST_ID, "wehost")
        for i in range(5):
            fake.add_user(str(3000 + i), f"member{i}")
        logs = {name: tmp_path / f"{name}.log" for name in ("first", "second")}
        workers: list[subprocess.Popen[bytes]] = []
        stop = threading.Event()

        def members() -> None:
            n = 0
            while not stop.is_set():
                fake.add_post(str(3000 + n % 5), f"answer {n} #WeFail")
                n += 1
                time.sleep(0.1)

        try:
            workers.append(_worker(db.url, fake.base_url, tmp_path / "out", logs["first"]))
            wait_for(lambda: LEADS in logs["first"].read_text(), "the first worker to lead", timeout=60)
            workers.append(_worker(db.url, fake.base_url, tmp_path / "out", logs["second"]))
            wait_for(lambda: WAITS in logs["second"].read_text(), "the second worker to stand by", timeout=60)
            assert LEADS not in logs["second"].read_text()
            leader, standby, log = workers[0], workers[1], logs["second"]
            # The chat is added once the roles are settled; the leader reconciles it within a second.
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
            definition = ChatDefinition.model_validate(
                {
                    "title": "Failover", "hashtag": "#WeFail", "host": "wehost", "platforms": ["x"],
                    "date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "timezone": "UTC",
                    "duration": "22s", "welcome": "Welcome #WeFail", "closing": "Bye {page_url} #WeFail",
                    "questions": [{"at": f"{s}s", "text": f"Q{i} what? #WeFail"} for i, s in enumerate(OFFSETS, 1)],
                    "misfire_grace": "30s", "poll_interval": "1s",
                }
            )  # fmt: skip
            with db.session() as s:
                event_id = add_chat(s, definition, source="test")
            chatter = threading.Thread(target=members, daemon=True)
            chatter.start()
            wait_for(lambda: _posted_questions(db, event_id) >= 2, "two questions from the leader", timeout=60)
            assert _posted_questions(db, event_id) < 6, logs["first"].read_text()  # still mid-chat
            leader.send_signal(signal.SIGKILL)  # dies mid-chat, without a chance to tidy up
            leader.wait(timeout=10)
            wait_for(lambda: LEADS in log.read_text(), "the standby to take the lead", timeout=60)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with db.session() as s:
                    if s.get(Event, event_id).status == "closed":  # type: ignore[union-attr]
                        break
                time.sleep(0.25)
            else:
                raise AssertionError("the standby never closed the chat:\n" + log.read_text())
            assert standby.poll() is None and leader.returncode == -signal.SIGKILL  # the right one was killed
        finally:
            stop.set()
            for proc in workers:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
        texts = [body["text"] for method, path, body in fake.calls if method == "POST"]
        assert [t.split()[0] for t in texts if t.startswith("Q")] == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]
        assert texts.count("Welcome #WeFail") == 1 and len(texts) == 8
        with db.session() as s:
            stored = set(s.scalars(select(MessageRow.platform_id).where(MessageRow.event_id == event_id)))
            due = dict(
                s.execute(
                    select(Prompt.number, Prompt.due_at).where(Prompt.event_id == event_id, Prompt.kind == "question")
                ).all()
            )
            posted = dict(
                s.execute(
                    select(Prompt.number, OutboundPost.posted_at)
                    .join(OutboundPost, OutboundPost.prompt_id == Prompt.id)
                    .where(Prompt.event_id == event_id, Prompt.kind == "question")
                ).all()
            )
        # posts made by the time the chat closed, including while no worker led, were all captured
        made_in_chat = {p["id"] for p in fake.posts if p["created_at"] <= _iso(start + timedelta(seconds=22))}
        assert made_in_chat <= stored
        assert all((posted[n] - due[n]).total_seconds() < 30 for n in due)  # on time within the grace period
