"""Erasure leaves no trace of the person in any table; export and purge do what they say."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, Text, cast, func, inspect, select

from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.models import CPDEntry, Escalation, Event, LevelChange, MessageRow, Participant
from transcripts.privacy import export_person, forget_person, purge_expired_install_states, purge_older_than
from transcripts.samples import SEED_CHAT
from transcripts.slack_stores import SLACK_OAUTH_STATES
from transcripts.snapshot import REMOVED_TEXT

HANDLE = "evelyn_prodger"


def _seed(db: Database) -> tuple[int, str]:
    [(event_id, _new)] = import_path(db, SEED_CHAT)
    with db.session() as s:
        person = s.scalars(select(Participant).where(func.lower(Participant.handle) == HANDLE)).one()
        s.add(CPDEntry(event_id=event_id, participant_id=person.id, reflections={"what": "learned a lot"}))
        s.add(Escalation(level=3, situation=f"@{HANDLE} flagged beds", raised_by=HANDLE, history=[{"by": HANDLE}]))
        s.add(LevelChange(team_channel="C1", level=3, set_by="Evelyn_Prodger", reason="busy"))
        return event_id, person.platform_user_id


def _all_text(db: Database) -> str:
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    chunks: list[str] = []
    with db.engine.connect() as conn:
        for name in inspect(db.engine).get_table_names():
            tbl = metadata.tables[name]
            # Binary values (pickled scheduler jobs) are read as bytes; everything else cast to text.
            columns = [c if isinstance(c.type, LargeBinary) else cast(c, Text) for c in tbl.columns]
            for row in conn.execute(select(*columns)):
                chunks.extend(
                    bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
                    for v in row
                    if v is not None
                )
    return "\n".join(chunks).lower()


def test_forget_leaves_no_trace_in_any_table(db: Database) -> None:
    _event_id, user_id = _seed(db)
    assert HANDLE in _all_text(db)
    with db.session() as s:
        result = forget_person(s, "@Evelyn_Prodger")
    assert result.profiles == 1 and result.messages == 41 and result.cpd_entries == 1
    everything = _all_text(db)
    assert HANDLE not in everything
    assert user_id.lower() not in everything
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 171
        removed = s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.text == REMOVED_TEXT))
        assert removed == 41
        assert s.scalar(select(func.count()).select_from(CPDEntry)) == 0
        assert s.scalars(select(Escalation.raised_by)).one() != HANDLE


def test_forget_unknown_person_changes_nothing(db: Database) -> None:
    _seed(db)
    with db.session() as s:
        assert forget_person(s, "nobody_here").profiles == 0


def test_export_person_returns_their_data(db: Database) -> None:
    _seed(db)
    with db.session() as s:
        data = export_person(s, HANDLE)
    assert len(data["messages"]) == 41
    assert data["messages"][0]["event_title"]
    assert len(data["cpd_entries"]) == 1
    assert len(data["escalations"]) == 1 and len(data["level_changes"]) == 1

    json.dumps(data)


def test_purge_deletes_old_huddle_but_not_chat(db: Database) -> None:
    chat_id, _ = _seed(db)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with db.session() as s:
        person_id = s.scalars(select(Participant.id)).first()
        huddle = Event(kind="huddle", title="old huddle", starts_at=long_ago, ends_at=long_ago + timedelta(minutes=15))
        recent = Event(kind="huddle", title="today", starts_at=datetime.now(UTC))
        s.add_all([huddle, recent])
        s.flush()
        s.add(
            MessageRow(
                event_id=huddle.id,
                platform="slack",
                platform_id="1.1",
                participant_id=person_id,
                text="all fine",
                created_at=long_ago,
            )
        )
        s.get(Event, chat_id).ends_at = long_ago  # type: ignore[union-attr]
        huddle_id = huddle.id
    with db.session() as s:
        assert purge_older_than(s, 30) == 1
    with db.session() as s:
        assert s.get(Event, huddle_id) is None
        assert s.get(Event, chat_id) is not None
        assert s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.event_id == huddle_id)) == 0
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 171


def test_forget_reaches_tables_that_are_not_ours(db: Database) -> None:
    """A scheduler's pickled job naming the person is dropped; a text column elsewhere is rewritten."""
    foreign = MetaData()
    jobs = Table(
        "apscheduler_jobs", foreign, Column("id", String(191), primary_key=True), Column("job_state", LargeBinary)
    )
    installs = Table("vendor_notes", foreign, Column("id", Integer, primary_key=True), Column("user_name", Text))
    foreign.create_all(db.engine)
    _seed(db)
    with db.session() as s:
        s.execute(jobs.insert().values(id="remind", job_state=b"\x80\x04pickled evelyn_prodger job"))
        s.execute(jobs.insert().values(id="other", job_state=b"\x80\x04pickled wenurses job"))
        s.execute(installs.insert().values(id=1, user_name="installed by Evelyn_Prodger"))
    with db.session() as s:
        result = forget_person(s, HANDLE)
        assert result.scrubbed["apscheduler_jobs"] == 1 and result.scrubbed["vendor_notes"] == 1
        assert s.scalars(select(jobs.c.id)).all() == ["other"]
        assert s.scalars(select(installs.c.user_name)).one() == "installed by removed"
    assert HANDLE not in _all_text(db)


def test_export_finds_a_slack_members_escalations_by_their_user_id(db: Database) -> None:
    """Slack records who raised, acknowledged or set a level by user id; the export must still find them."""
    with db.session() as s:
        s.add(Participant(platform="slack", platform_user_id="U07SAM", handle="sam.nurse", name="Sam"))
        s.add(Escalation(level=2, situation="bay 3 short", raised_by="U07SAM", acknowledged_by="U09MATRON"))
        s.add(Escalation(level=1, situation="someone else's", raised_by="U01OTHER"))
        s.add(LevelChange(team_channel="C1", level=2, set_by="U07SAM", reason="two RNs off sick"))
    with db.session() as s:
        data = export_person(s, "@sam.nurse")
    assert [e["situation"] for e in data["escalations"]] == ["bay 3 short"]
    assert [lc["reason"] for lc in data["level_changes"]] == ["two RNs off sick"]


def test_purge_drops_only_expired_install_states(db: Database) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.session() as s:
        s.execute(SLACK_OAUTH_STATES.insert().values(state="abandoned", expire_at=now - timedelta(minutes=1)))
        s.execute(SLACK_OAUTH_STATES.insert().values(state="in-progress", expire_at=now + timedelta(minutes=9)))
    with db.session() as s:
        assert purge_expired_install_states(s) == 1
    with db.session() as s:
        assert s.scalars(select(SLACK_OAUTH_STATES.c.state)).all() == ["in-progress"]
