"""A whole huddle through the real Bolt app and scheduler, with Slack played by a local Web API server.

Due a few seconds from now, it opens in its channel; thread replies (one re-delivered with
X-Slack-Retry-Num, one edited, one deleted) and a modal submission become answers to the right
questions; the member who said nothing is reminded; the summary is posted at the close.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, update

from bot.huddles.definitions import add_definition
from bot.huddles.jobs import install_huddle_jobs
from config.huddle_definition import HuddleDefinition
from config.settings import Settings, get_settings
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import SIGNING_SECRET, event_body, interaction_body, post_signed, running_web
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Answer, Event, MessageRow, Participant, Prompt

ZONE = "Europe/London"


def _definition(due: datetime) -> HuddleDefinition:
    local = due.astimezone(ZoneInfo(ZONE))
    return HuddleDefinition(
        name="Ward 7 safety huddle",
        channel="C1",
        days=[local.strftime("%a").lower()],
        time=local.strftime("%H:%M:%S"),
        timezone=ZONE,
        window="10m",
        reminders=["5m"],
        prompts=[
            "Incidents since yesterday",
            {"text": "Patients at risk today", "concern": True},
            {"text": "Staffing and skill mix", "concern": True},
        ],
        members=["U1", "U2", "U3"],
    )


def _reply(user: str, text: str, ts: str, thread_ts: str, event_id: str) -> str:
    event = {"type": "message", "channel": "C1", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts}
    return event_body(event, event_id)


def test_a_huddle_opens_collects_reminds_and_closes(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_slack() as fake:
        for name, value in {
            "DATABASE_URL": db_url,
            "SLACK_API_URL": fake.url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        settings = Settings(HUDDLE_TICK_SECONDS=0.5)
        with db.session() as s:
            add_definition(s, _definition(datetime.now(UTC) + timedelta(seconds=4)))
            add_definition(  # another team's huddle, not due now, must not post
                s, HuddleDefinition(name="Other", channel="C9", days=["mon"], time="03:00", prompts=["Anything?"])
            )
        scheduler = BackgroundScheduler(jobstores={"default": MemoryJobStore()}, timezone="UTC")
        install_huddle_jobs(scheduler, db, settings)
        scheduler.start()
        try:
            with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
                opening = wait_for(lambda: [p for p in fake.of("chat.postMessage") if p.get("blocks")], timeout=30)
                assert isinstance(opening, list) and len(opening) == 1 and opening[0]["channel"] == "C1"
                assert "patient-identifiable" in opening[0]["text"]
                root = wait_for(lambda: _opening_ts(db), timeout=30)
                assert isinstance(root, str)

                json_type = "application/json"
                first = _reply("U1", "1: no incidents overnight", "1900000000.000100", root, "Ev1")
                assert post_signed(http, base, first, content_type=json_type).status_code == 200
                again = post_signed(
                    http,
                    base,
                    first,
                    content_type=json_type,
                    extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
                )
                assert again.status_code == 200
                staffing = _reply("U1", "we are one HCA short on staffing", "1900000000.000200", root, "Ev2")
                assert post_signed(http, base, staffing, content_type=json_type).status_code == 200
                wrong = _reply("U1", "2: bay 3 falls risk", "1900000000.000300", root, "Ev3")
                assert post_signed(http, base, wrong, content_type=json_type).status_code == 200
                wait_for(lambda: _answers(db).get("1900000000.000300"), timeout=30)
                edit = {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": "C1",
                    "ts": "1900000000.000400",
                    "message": {
                        "type": "message",
                        "user": "U1",
                        "text": "2: bay 4 falls risk",
                        "ts": "1900000000.000300",
                        "thread_ts": root,
                        "edited": {"user": "U1", "ts": "1900000000.000400"},
                    },
                }
                assert post_signed(http, base, event_body(edit, "Ev4"), content_type=json_type).status_code == 200
                oops = _reply("U1", "sorry wrong thread", "1900000000.000500", root, "Ev5")
                assert post_signed(http, base, oops, content_type=json_type).status_code == 200
                wait_for(lambda: _answers(db).get("1900000000.000500"), timeout=30)
                delete = {
                    "type": "message",
                    "subtype": "message_deleted",
                    "channel": "C1",
                    "ts": "1900000000.000600",
                    "deleted_ts": "1900000000.000500",
                }
                assert post_signed(http, base, event_body(delete, "Ev6"), content_type=json_type).status_code == 200
                # Stored after the ack, in arrival order: once the delete is, so is the edit before it.
                wait_for(lambda: _deleted(db, "C1:1900000000.000500"), timeout=30)

                event_id = _event_id(db)
                button = {
                    "type": "block_actions",
                    "team": {"id": "T0TEAM"},
                    "user": {"id": "U2"},
                    "api_app_id": "A0APP",
                    "trigger_id": "trig-1",
                    "channel": {"id": "C1"},
                    "container": {"type": "message"},
                    "actions": [
                        {"type": "button", "action_id": "huddle_answer", "block_id": "b", "value": str(event_id)}
                    ],
                }
                form_type = "application/x-www-form-urlencoded"
                assert post_signed(http, base, interaction_body(button), content_type=form_type).status_code == 200
                modal = wait_for(lambda: fake.of("views.open"), timeout=30)
                assert isinstance(modal, list)
                assert [b.get("block_id") for b in modal[0]["view"]["blocks"][1:]] == ["p1", "p2", "p3"]
                submission = {
                    "type": "view_submission",
                    "team": {"id": "T0TEAM"},
                    "user": {"id": "U2"},
                    "api_app_id": "A0APP",
                    "trigger_id": "trig-2",
                    "view": {
                        "id": "V123",
                        "type": "modal",
                        "callback_id": "huddle_answers",
                        "private_metadata": str(event_id),
                        "state": {
                            "values": {
                                "p1": {"answer": {"type": "plain_text_input", "value": "None"}},
                                "p2": {"answer": {"type": "plain_text_input", "value": ""}},
                                "p3": {
                                    "answer": {"type": "plain_text_input", "value": "Agency nurse booked for nights"}
                                },
                            }
                        },
                    },
                }
                response = post_signed(http, base, interaction_body(submission), content_type=form_type)
                assert response.status_code == 200
                wait_for(lambda: _answers(db).get("V123:p3"), timeout=30)

                # Every answer is in: bring the reminder due now (the tick, every 0.5 s, sends it) rather than
                # racing a short window on a loaded machine; then the close, the same way.
                _due_now(db, "reminder")
                reminder = wait_for(
                    lambda: [p for p in fake.of("chat.postMessage") if "reminder" in p.get("text", "")], timeout=40
                )
                assert isinstance(reminder, list) and len(reminder) == 1
                assert reminder[0]["thread_ts"] == root and reminder[0]["text"].startswith("<@U3> a reminder")

                _due_now(db, "close")
                summary = wait_for(
                    lambda: [p for p in fake.of("chat.postMessage") if p.get("text", "").startswith("*Summary")],
                    timeout=40,
                )
                assert isinstance(summary, list) and len(summary) == 1
                text = summary[0]["text"]
                assert summary[0]["thread_ts"] == root
                assert "*Took part (2):* <@U1>, <@U2>" in text
                assert "<@U1>: bay 4 falls risk" in text and "bay 3" not in text and "wrong thread" not in text
                assert "*Concerns flagged (3):*" in text  # bay 4, one HCA short, agency nurse; "None" is not one
                assert "*Absent (1):* <@U3>" in text
                wait_for(lambda: _status(db) == "closed", "the session to be marked closed after its summary")
        finally:
            scheduler.shutdown(wait=False)
            get_settings.cache_clear()

    answers = _answers(db)
    assert answers["1900000000.000100"] == (1, "marker")
    assert answers["1900000000.000200"] == (3, "thread")
    assert answers["1900000000.000300"] == (2, "marker")
    assert answers["V123:p1"] == (1, "form") and answers["V123:p3"] == (3, "form") and "V123:p2" not in answers
    with db.session() as s:
        assert s.scalar(select(Event.status)) == "closed"
        edited = s.scalars(select(MessageRow).where(MessageRow.platform_id == "C1:1900000000.000300")).one()
        assert edited.text == "2: bay 4 falls risk" and edited.edited_at is not None
        assert edited.raw and edited.raw["history"][0]["text"] == "2: bay 3 falls risk"
        deleted = s.scalars(select(MessageRow).where(MessageRow.platform_id == "C1:1900000000.000500")).one()
        assert deleted.deleted_at is not None
        assert s.scalars(
            select(MessageRow.platform_id).where(MessageRow.platform_id == "C1:1900000000.000100")
        ).all() == ["C1:1900000000.000100"]
    assert not [p for p in fake.of("chat.postMessage") if p.get("channel") == "C9"]


def _opening_ts(db: Database) -> str | None:
    from bot.huddles.sessions import opening_ts

    with db.session() as s:
        event_id = s.scalar(select(Event.id))
        where = opening_ts(s, event_id) if event_id else None
    return where[1] if where else None


def _due_now(db: Database, kind: str) -> None:
    with db.session() as s:
        s.execute(update(Prompt).where(Prompt.kind == kind).values(due_at=datetime.now(UTC)))


def _status(db: Database) -> str | None:
    with db.session() as s:
        return s.scalar(select(Event.status))


def _event_id(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(Event.id)) or 0)


def _deleted(db: Database, platform_id: str) -> bool:
    with db.session() as s:
        return s.scalar(select(MessageRow.deleted_at).where(MessageRow.platform_id == platform_id)) is not None


def _answers(db: Database) -> dict[str, tuple[int | None, str]]:
    """Slack ts (thread replies) or view:block (form fields) -> (question number, method)."""
    with db.session() as s:
        rows = s.execute(
            select(MessageRow.platform_id, Prompt.number, Answer.method)
            .join(Answer, Answer.message_id == MessageRow.id)
            .join(Prompt, Prompt.id == Answer.prompt_id)
            .join(Participant, Participant.id == MessageRow.participant_id)
        ).all()
    return {pid.removeprefix("C1:"): (number, method) for pid, number, method in rows}
