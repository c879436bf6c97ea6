"""`huddlebot worker --terminal` runs a local chat: prompts go to the console, typed lines are captured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.chats.setup import add_chat
from config.chat_definition import ChatDefinition
from transcripts.db import Database
from transcripts.models import Event, MessageRow


def test_a_local_chat_with_posts_typed_at_the_terminal(db: Database, tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    definition = ChatDefinition.model_validate(
        {
            "title": "Practice", "hashtag": "#WeLocal", "host": "huddlebot", "platforms": ["local"],
            "date": start.date().isoformat(), "start": start.strftime("%H:%M:%S"), "timezone": "UTC",
            "duration": "8s", "welcome": "Welcome to #WeLocal", "closing": "Thanks #WeLocal",
            "questions": [{"at": "2s", "text": "Q1 first? #WeLocal"}, {"at": "4s", "text": "Q2 next? #WeLocal"}],
            "poll_interval": "1s", "misfire_grace": "30s",
        }
    )  # fmt: skip
    with db.session() as s:
        event_id = add_chat(s, definition, source="test")
    env = {**os.environ, "DATABASE_URL": db.url, "HUDDLEBOT_OUTPUT_DIR": str(tmp_path), "WORKER_RECONCILE_SECONDS": "1"}
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", "--terminal"], env=env, stdin=subprocess.PIPE, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert worker.stdin is not None
    try:
        time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 1)
        worker.stdin.write(b"A1 typed on the ward #WeLocal\nnot for the chat\nA2 also typed #WeLocal\n")
        worker.stdin.flush()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with db.session() as s:
                if s.get(Event, event_id).status == "closed":  # type: ignore[union-attr]
                    break
            time.sleep(0.25)
        else:
            raise AssertionError("the chat never closed: " + (tmp_path / "worker.log").read_text(errors="replace"))
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()
    with db.session() as s:
        texts = list(s.scalars(select(MessageRow.text).where(MessageRow.event_id == event_id)))
    assert sorted(texts) == sorted(
        ["Welcome to #WeLocal", "Q1 first? #WeLocal", "Q2 next? #WeLocal", "Thanks #WeLocal",
         "A1 typed on the ward #WeLocal", "A2 also typed #WeLocal"]
    )  # fmt: skip
    assert "Q1 first? #WeLocal" in (tmp_path / "worker.log").read_text(errors="replace")  # shown on the console
    assert (tmp_path / f"event-{event_id}" / "index.html").exists()
