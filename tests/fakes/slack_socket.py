"""A local stand-in for Slack's Socket Mode: the websocket `apps.connections.open` hands out.

It greets a connecting app with `hello`, as Slack does, sends the envelopes a test queues (events,
slash commands, interactions) and keeps every acknowledgement the app sends back, by envelope id.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


@dataclass
class FakeSocket:
    url: str = ""
    outbox: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    connected: threading.Event = field(default_factory=threading.Event)

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False) -> str:
        """Queue one envelope for the app; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        self.outbox.put(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": accepts_response_payload,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    def _serve(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}))
        self.connected.set()
        try:
            while True:
                with suppress(queue.Empty):
                    connection.send(json.dumps(self.outbox.get_nowait()))
                try:
                    ack = json.loads(connection.recv(timeout=0.05))
                except TimeoutError:
                    continue
                if "envelope_id" in ack:
                    self.acks[ack["envelope_id"]] = ack
        except ConnectionClosed:
            return


@contextmanager
def running_fake_socket() -> Iterator[FakeSocket]:
    fake = FakeSocket()
    with serve(fake._serve, "127.0.0.1", 0, compression=None) as server:
        fake.url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield fake
        finally:
            server.shutdown()
            thread.join(timeout=5)
