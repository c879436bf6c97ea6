"""`huddlebot web` serves the archive on the address it is given."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fakes.slack_web import free_port
from transcripts.db import Database
from transcripts.importers import import_path


def test_web_serves_the_archive(tmp_path: Path, seed_chat: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    database = Database(url)
    import_path(database, seed_chat)
    database.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "HUDDLEBOT_OUTPUT_DIR": str(tmp_path / "out"), "PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "web"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine can take long to import everything
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200
        assert "#WeHCMs" in response.text
        assert httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5).json()["openapi"].startswith("3.")
    finally:
        server.terminate()
        server.wait(timeout=20)
