"""Erasure leaves no trace of the person in any table, and is exact: forgetting a short handle (@ed,
@al, @nhs) removes the person's own rows, their identifiers and whole mentions of them, and leaves every
other word that merely contains the letters. Export and purge do what they say."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, Text, cast, func, inspect, select

from transcripts.db import Database
from transcripts.importers import import_path
from transcripts.models import Action, CPDEntry, Escalation, Event, LevelChange, MessageRow, Participant
from transcripts.privacy import (
    export_person,
    forget_person,
    purge_closed_escalations_older_than,
    purge_expired_install_states,
    purge_older_than,
)
from transcripts.samples import SEED_CHAT
from transcripts.slack_stores import SLACK_INBOX, SLACK_OAUTH_STATES
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
        assert len(purge_older_than(s, 30)) == 1
    with db.session() as s:
        assert s.get(Event, huddle_id) is None
        assert s.get(Event, chat_id) is not None
        assert s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.event_id == huddle_id)) == 0
        assert s.scalar(select(func.count()).select_from(MessageRow)) == 171


def test_forget_reaches_tables_that_are_not_ours(db: Database) -> None:
    """Tables that are not ours are rewritten where they name the person; a pickled job is never deleted."""
    foreign = MetaData()
    jobs = Table(
        "apscheduler_jobs", foreign, Column("id", String(191), primary_key=True), Column("job_state", LargeBinary)
    )
    installs = Table(
        "vendor_notes",
        foreign,
        Column("id", Integer, primary_key=True),
        Column("user_name", Text),
        Column("note", Text),
    )
    foreign.create_all(db.engine)
    _seed(db)
    with db.session() as s:
        s.execute(jobs.insert().values(id="remind", job_state=b"\x80\x04pickled evelyn_prodger job"))
        s.execute(jobs.insert().values(id="other", job_state=b"\x80\x04pickled wenurses job"))
        s.execute(installs.insert().values(id=1, user_name="Evelyn_Prodger", note="installed by @Evelyn_Prodger"))
    with db.session() as s:
        result = forget_person(s, HANDLE)
        assert result.scrubbed["vendor_notes"] == 2 and "apscheduler_jobs" not in result.scrubbed
        assert sorted(s.scalars(select(jobs.c.id)).all()) == ["other", "remind"]
        assert s.execute(select(installs.c.user_name, installs.c.note)).one() == ("removed", "installed by @removed")
    with db.engine.begin() as conn:
        conn.execute(jobs.delete())  # the scheduler's own bytes aside, no trace is left anywhere
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


# Exact erasure with short handles.

START = datetime(2024, 3, 5, 20, 0, tzinfo=UTC)
PEOPLE = {"ed": "1001", "al": "1002", "nhs": "1003", "edward": "1004", "al_smith": "1005", "ed_smith": "1006"}
TITLE = "Escalation when needed: NHS alerts, all hands"
TOPIC = "We escalated early; the NHS called all staff"


def _record(db: Database) -> dict[str, int]:
    """A chat full of the letters e-d, a-l and n-h-s, and mentions of all three people."""
    with db.session() as s:
        event = Event(kind="chat", title=TITLE, topic=TOPIC, host="edward", hashtag="#nhs", starts_at=START)
        s.add(event)
        people = {h: Participant(platform="x", platform_user_id=i, handle=h, name=h.title()) for h, i in PEOPLE.items()}
        s.add_all(people.values())
        s.flush()

        def post(n: int, who: str, text: str, mentions: list[str], raw: dict[str, Any] | None = None) -> MessageRow:
            row = MessageRow(event_id=event.id, platform="x", platform_id=str(n), participant_id=people[who].id,
                             text=text, created_at=START + timedelta(minutes=n), mentions=mentions,
                             hashtags=["nhs"], raw=raw)  # fmt: skip
            s.add(row)
            return row

        post(1, "ed", "I am Ed. @al said hi", ["al"])
        post(2, "edward", OTHERS_WORDS, ["ed", "edward", "ed_smith", "al", "nhs"], {
            "author_id": "1004",
            "text": OTHERS_WORDS,
            "in_reply_to_user_id": "1001",
            "entities": {"mentions": [{"username": "ed", "id": "1001"}, {"username": "edward", "id": "1004"},
                                      {"username": "AL", "id": "1002"}, {"username": "nhs", "id": "1003"}],
                         "hashtags": [{"tag": "nhs"}, {"tag": "ed"}]},
            "lang": "al",
        })  # fmt: skip
        post(3, "al", "Al reallocated the ALS kit. @nhs", ["nhs"])
        post(4, "nhs", "NHS guidance: escalate early", [])
        s.add(Escalation(level=3, situation="Bed 4 needed escalation; told @ed and @nhs.", raised_by="ed",
                         acknowledged_by="edward", history=[{"by": "al", "note": "called @al_smith"}]))  # fmt: skip
        s.add(LevelChange(team_channel="C1", level=2, set_by="al", reason="Short staffed, all hands"))
        s.flush()
        return {h: p.id for h, p in people.items()}


OTHERS_WORDS = (
    "We escalated early, as needed. Thanks @ed! @edward and @ed_smith too; mail ed@nhs.net; @Ed. and @ED, "
    "@al: allocate all beds, @ALL, @al_smith, @nhs @NHS_England @nhs.uk #nhs NHS"
)


def _texts(db: Database) -> dict[str, Any]:
    with db.session() as s:
        event = s.scalars(select(Event)).one()
        rows = {m.platform_id: m for m in s.scalars(select(MessageRow))}
        escalation = s.scalars(select(Escalation)).one()
        level = s.scalars(select(LevelChange)).one()
        return {
            "title": event.title,
            "topic": event.topic,
            "host": event.host,
            "hashtag": event.hashtag,
            "rows": {k: (m.text, list(m.mentions), m.raw, list(m.hashtags)) for k, m in rows.items()},
            "situation": escalation.situation,
            "raised_by": escalation.raised_by,
            "acknowledged_by": escalation.acknowledged_by,
            "history": escalation.history,
            "set_by": level.set_by,
            "reason": level.reason,
        }


def test_forgetting_ed_leaves_everyone_elses_words_alone(db: Database) -> None:
    jobs = Table("apscheduler_jobs", MetaData(), Column("id", String(191), primary_key=True),
                 Column("job_state", LargeBinary))  # fmt: skip
    jobs.create(db.engine)
    _record(db)
    with db.session() as s:
        s.execute(jobs.insert().values(id="nightly", job_state=b"\x80\x04needed ed escalated"))
    with db.session() as s:
        result = forget_person(s, "@ED")
    assert result.profiles == 1 and result.messages == 1
    after = _texts(db)
    assert after["title"] == TITLE and after["topic"] == TOPIC and after["host"] == "edward"
    assert after["rows"]["1"][0] == REMOVED_TEXT and after["rows"]["1"][2] is None
    text, mentions, raw, hashtags = after["rows"]["2"]
    assert text == OTHERS_WORDS.replace("Thanks @ed!", "Thanks @removed!").replace(
        "@Ed. and @ED,", "@removed. and @removed,"
    )
    assert mentions == ["removed", "edward", "ed_smith", "al", "nhs"] and hashtags == ["nhs"]
    assert raw["text"] == text and raw["in_reply_to_user_id"] == "removed" and raw["author_id"] == "1004"
    assert raw["entities"]["mentions"][0] == {"username": "removed", "id": "removed"}
    assert raw["entities"]["mentions"][1] == {"username": "edward", "id": "1004"}
    assert raw["entities"]["hashtags"] == [{"tag": "nhs"}, {"tag": "ed"}]  # a hashtag #ed is not the person
    assert after["situation"] == "Bed 4 needed escalation; told @removed and @nhs."
    assert after["raised_by"] == "removed" and after["acknowledged_by"] == "edward"
    with db.session() as s:
        assert s.scalars(select(jobs.c.id)).all() == ["nightly"]  # never deleted for containing a string
        assert s.scalars(select(Participant.handle).where(Participant.platform_user_id == "1004")).one() == "edward"


def test_forgetting_al_and_nhs_changes_only_their_rows_and_mentions(db: Database) -> None:
    _record(db)
    before = _texts(db)
    with db.session() as s:
        assert forget_person(s, "al").profiles == 1
    after = _texts(db)
    text, mentions, raw, _ = after["rows"]["2"]
    assert text == OTHERS_WORDS.replace("@al: allocate", "@removed: allocate")
    assert "@ALL, @al_smith" in text and mentions == ["ed", "edward", "ed_smith", "removed", "nhs"]
    assert raw["entities"]["mentions"][2] == {"username": "removed", "id": "removed"} and raw["lang"] == "al"
    assert after["rows"]["3"][0] == REMOVED_TEXT and after["set_by"] == "removed"
    assert after["reason"] == "Short staffed, all hands" and after["history"] == [
        {"by": "removed", "note": "called @al_smith"}
    ]
    assert after["title"] == before["title"] and after["situation"] == before["situation"]

    with db.session() as s:
        assert forget_person(s, "@nhs").profiles == 1
    after = _texts(db)
    text, mentions, raw, hashtags = after["rows"]["2"]
    assert text.endswith("@removed @NHS_England @nhs.uk #nhs NHS") and "mail ed@nhs.net" in text
    assert hashtags == ["nhs"] and raw["entities"]["hashtags"][0] == {"tag": "nhs"} and after["hashtag"] == "#nhs"
    assert after["rows"]["4"][0] == REMOVED_TEXT
    assert after["situation"] == "Bed 4 needed escalation; told @ed and @removed."
    assert after["title"] == TITLE and after["topic"] == TOPIC


@pytest.mark.parametrize("handle", ["ed", "al", "nhs"])
def test_nothing_but_the_person_changes(db: Database, handle: str) -> None:
    """Forgetting one person never alters a row that neither is theirs nor names them."""
    ids = _record(db)
    with db.session() as s:
        untouched = {m.id: m.text for m in s.scalars(select(MessageRow)) if m.participant_id != ids[handle]
                     and f"@{handle}" not in m.text.lower()}  # fmt: skip
    with db.session() as s:
        forget_person(s, handle)
    with db.session() as s:
        assert {i: s.get(MessageRow, i).text for i in untouched} == untouched  # type: ignore[union-attr]


def test_purge_reaches_resolved_escalations_and_done_actions_but_never_an_open_escalation(db: Database) -> None:
    long_ago, recently = datetime.now(UTC) - timedelta(days=90), datetime.now(UTC) - timedelta(days=2)
    sbar = {"situation": "Bed 4 JS deteriorating", "team_channel": "CWARD", "raised_by": "U1", "level": 3}
    with db.session() as s:
        old_resolved = Escalation(**sbar, status="resolved", raised_at=long_ago, resolved_at=long_ago)
        old_open = Escalation(**sbar, status="open", raised_at=long_ago)
        new_resolved = Escalation(**sbar, status="resolved", raised_at=recently, resolved_at=recently)
        done = Action(team_channel="CWARD", what="hoist", owner="U2", due_at=long_ago, created_by="U1",
                      status="done", done_at=long_ago)  # fmt: skip
        s.add_all([old_resolved, old_open, new_resolved, done])
        s.flush()
        kept = {old_open.id, new_resolved.id}
    with db.session() as s:
        assert purge_closed_escalations_older_than(s, 30) == 1
    with db.session() as s:
        assert set(s.scalars(select(Escalation.id))) == kept
        assert s.scalar(select(func.count()).select_from(Action)) == 0


def test_forget_takes_the_persons_slack_events_still_waiting_in_the_inbox(db: Database) -> None:
    """A Slack reply is kept in the inbox from just before its ack until it is stored (bot.slack.app). An
    erasure in between must take the person's waiting events with it, found by who wrote them (the
    event's user), not by a string: else the reply would be stored after the erasure, under their
    Slack id, re-creating them. A colleague's waiting event stays as it is."""
    _seed(db)
    with db.session() as s:
        s.add(Participant(platform="slack", platform_user_id="U0SAM", handle="sam.nurse", name="Sam"))

    def waiting(event_id: str, event: dict[str, Any]) -> dict[str, Any]:
        body = {"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": event}
        return {"event_id": event_id, "team_id": "T1", "received_at": datetime.now(UTC), "body": json.dumps(body)}

    reply = {"type": "message", "user": "U0SAM", "text": "Bay 4 needs a second nurse tonight", "ts": "1.000100"}
    edit = {
        "type": "message", "subtype": "message_changed", "ts": "1.000300",
        "message": {"user": "U0SAM", "text": "Bay 4 and bay 5 need a second nurse", "ts": "1.000100"},
    }  # fmt: skip
    colleague = {"type": "message", "user": "U0ALEX", "text": "Two agency staff confirmed", "ts": "1.000200"}
    with db.session() as s:
        s.execute(
            SLACK_INBOX.insert(),
            [waiting("EvSam", reply), waiting("EvSamEdit", edit), waiting("EvAlex", colleague)],
        )
        forget_person(s, "sam.nurse")
    with db.session() as s:
        left = [json.loads(body) for body in s.scalars(select(SLACK_INBOX.c.body))]
    assert [b["event_id"] for b in left] == ["EvAlex"]
    assert left[0]["event"] == colleague
