"""The seed chat page imports whole, once, with its questions and footer totals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from transcripts.db import Database
from transcripts.errors import RecordError
from transcripts.importers import import_path, parse_path
from transcripts.models import Event, MessageRow, Participant, Prompt


def test_seed_parses_to_171_posts_by_14_people(seed_chat: Path) -> None:
    (event,) = parse_path(seed_chat)
    assert len(event.messages) == 171
    assert len({m.author.handle.lower() for m in event.messages}) == 14
    assert event.hashtag == "#WeHCMs"
    assert event.timezone == "Europe/London"
    assert event.host == "wehcmanagers"
    assert event.starts_at.isoformat() == "2020-02-25T20:00:00+00:00"
    assert sum(m.is_repost for m in event.messages) == 5


def test_question_posts_become_prompts_with_times(seed_chat: Path) -> None:
    (event,) = parse_path(seed_chat)
    times = [p.posted_at.strftime("%H:%M") for p in event.prompts if p.posted_at]
    assert [p.number for p in event.prompts] == [1, 2, 3, 4, 5, 6]
    assert times == ["20:03", "20:11", "20:18", "20:26", "20:36", "20:44"]
    assert event.prompts[0].text.startswith("How would you define escalation")


def test_importing_twice_stores_each_post_once(db: Database, seed_chat: Path) -> None:
    [(event_id, new)] = import_path(db, seed_chat)
    assert new == 171
    [(again_id, new_again)] = import_path(db, seed_chat)
    assert (again_id, new_again) == (event_id, 0)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 171
        assert s.scalar(select(func.count()).select_from(Participant)) == 14
        assert s.scalar(select(func.count()).select_from(Event)) == 1
        prompts = s.scalars(select(Prompt).order_by(Prompt.number)).all()
        assert len(prompts) == 6 and all(p.message_id for p in prompts)


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Event)) or 0,
            s.scalar(select(func.count()).select_from(MessageRow)) or 0,
        )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: "", "file is empty"),
        (lambda t: t[: t.index("@JenJenHutton\n25 February 2020 20:55")], "truncated"),
        (lambda t: t.replace("25 February 2020 20:33", "25 Febtober 2020 20:33", 1), "date does not parse"),
        (lambda t: t.replace("Total tweets: 171", "Total tweets: 172"), "footer says 172"),
    ],
    ids=["empty", "truncated", "bad-date", "footer-mismatch"],
)
def test_bad_pages_are_refused_naming_the_place_and_writing_nothing(
    db: Database, seed_chat: Path, tmp_path: Path, mutate, expected: str
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(mutate(seed_chat.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RecordError) as err:
        import_path(db, bad)
    assert str(bad) in str(err.value)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)
    assert _counts(db) == (0, 0)


def test_bad_date_names_its_line(seed_chat: Path, tmp_path: Path) -> None:
    text = seed_chat.read_text(encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(text.replace("25 February 2020 20:33", "25 Febtober 2020 20:33", 1), encoding="utf-8")
    line = text.splitlines().index("25 February 2020 20:33") + 1
    with pytest.raises(RecordError, match=rf"bad.txt:{line}: date does not parse"):
        parse_path(bad)
