"""Chat definitions are checked before anything is scheduled; a bad one names its field and reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from config.chat_definition import load_chat_definition, parse_offset
from config.errors import InputError

EXAMPLES = sorted(Path("config/chats").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_are_valid(path: Path) -> None:
    definition = load_chat_definition(path)
    assert definition.questions and definition.starts_at().tzinfo is not None


def test_offsets_and_local_times() -> None:
    assert parse_offset("3m") == timedelta(minutes=3)
    assert parse_offset("90s") == timedelta(seconds=90)
    assert parse_offset("1h30m") == timedelta(minutes=90)
    definition = load_chat_definition(Path("config/chats/wenurses-example.yaml"))
    start = definition.starts_at()
    assert definition.questions[5].offset_from(start) == timedelta(minutes=48)  # "20:48" local


BASE = Path("config/chats/local-practice.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("timezone: Europe/London", "timezone: Mars/Olympus"), "timezone: Value error, 'Mars/Olympus' is not an IANA"),
        (("{at: 4m,", "{at: 40m,"), "questions.1.at: 40m is after the chat ends (10m)"),
        (("{at: 4m,", "{at: soon,"), "questions.1.at: Value error, 'soon' is not a duration"),
        (
            ('hashtag: "#PracticeChat"', "hashtag: PracticeChat"),
            "hashtag: Value error, 'PracticeChat' is not a hashtag",
        ),
        (("host: practicehost\n", ""), "host: Field required"),
        (("{at: 1m,", "{at: 5m,"), "questions: not in the order they are asked"),
    ],
)
def test_bad_definitions_name_the_field(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text(BASE.replace(*change), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_chat_definition(path)
    assert str(err.value).startswith(f"{path}: ")
    assert expected.replace("Value error, ", "") in str(err.value)


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text("title: [unclosed\nhashtag: '#x'\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"chat.yaml:\d+: not valid YAML"):
        load_chat_definition(path)
