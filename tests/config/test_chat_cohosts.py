"""A chat definition names its co-hosts; the chat's event keeps them, so their posts are never answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chats.setup import add_chat
from config.chat_definition import load_chat_definition
from config.errors import InputError
from transcripts.db import Database
from transcripts.snapshot import load_event

EXAMPLE = Path("config/chats/wenurses-example.yaml")


def test_cohosts_are_validated_and_kept_with_the_event(db: Database) -> None:
    definition = load_chat_definition(EXAMPLE)
    assert definition.cohosts == ["WeNurses_Team"]
    with db.session() as s:
        event_id = add_chat(s, definition, source=str(EXAMPLE))
    with db.session() as s:
        assert load_event(s, event_id).cohosts == ("WeNurses_Team",)


def test_a_bad_cohost_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace('["@WeNurses_Team"]', '["not a handle"]'))
    with pytest.raises(InputError, match="cohosts"):
        load_chat_definition(path)
