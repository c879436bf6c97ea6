"""SBAR escalation through the real Bolt app: raised by /escalate, re-escalated when nobody acknowledges
within the level's target, then acknowledged and resolved with who and when; level changes recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.escalation.sbar import reescalate_overdue
from bot.huddles.definitions import add_definition
from bot.platforms.slack import SlackPlatform
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import interaction_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Escalation, LevelChange

FORM = "application/x-www-form-urlencoded"


def _escalation(db: Database) -> Escalation | None:
    with db.session() as s:
        row = s.scalars(select(Escalation)).first()
        if row is not None:
            s.expunge(row)
        return row


def _command(text: str, command: str) -> str:
    from urllib.parse import urlencode

    return urlencode(
        {
            "command": command,
            "text": text,
            "channel_id": "C1",
            "user_id": "U1",
            "team_id": "T0TEAM",
            "trigger_id": "trig-esc",
            "response_url": "http://127.0.0.1:9/unused",
            "api_app_id": "A0APP",
        }
    )


def _click(action: str, escalation_id: int, user: str, response_url: str | None = None) -> str:
    return interaction_body(
        {
            **({"response_url": response_url} if response_url else {}),
            "type": "block_actions",
            "team": {"id": "T0TEAM"},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": "t",
            "container": {"type": "message"},
            "actions": [{"type": "button", "action_id": action, "block_id": "b", "value": str(escalation_id)}],
        }
    )


def _step_form(step: str, escalation_id: int, user: str, text: str) -> str:
    values = {step: {step: {"type": "plain_text_input", "value": text}}}
    return interaction_body({
        "type": "view_submission", "team": {"id": "T0TEAM"}, "user": {"id": user}, "api_app_id": "A0APP",
        "view": {"id": f"V{step}", "type": "modal", "callback_id": f"escalation_{step}",
                 "private_metadata": str(escalation_id), "state": {"values": values}},
    })  # fmt: skip


def test_unacknowledged_escalation_moves_on_then_is_acknowledged_and_resolved(db: Database, db_url: str) -> None:
    with running_fake_slack() as fake:
        settings = slack_settings(fake, db_url)
        with db.session() as s:
            add_definition(
                s,
                HuddleDefinition(
                    name="Ward 7",
                    channel="C1",
                    days=["mon"],
                    time="07:45",
                    prompts=["Concerns"],
                    escalation_contacts=["C0SITE", "U0MATRON"],
                ),
            )
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            assert (
                post_signed(http, base, _command("bay 4 short of staff", "/escalate"), content_type=FORM).status_code
                == 200
            )
            opened = wait_for(lambda: fake.of("views.open"))
            assert isinstance(opened, list)
            view = opened[0]["view"]
            assert view["callback_id"] == "sbar" and view["private_metadata"] == "C1"
            assert [b.get("block_id") for b in view["blocks"][1:]] == [
                "situation",
                "background",
                "assessment",
                "recommendation",
                "level",
                "summary",
                "confirm_identifiers",
            ]
            submission = {
                "type": "view_submission",
                "team": {"id": "T0TEAM"},
                "user": {"id": "U1"},
                "api_app_id": "A0APP",
                "view": {
                    "id": "VS1",
                    "type": "modal",
                    "callback_id": "sbar",
                    "private_metadata": "C1",
                    "state": {
                        "values": {
                            "situation": {"situation": {"type": "plain_text_input", "value": "Two RNs for 28 beds"}},
                            "background": {"background": {"type": "plain_text_input", "value": "Sickness overnight"}},
                            "assessment": {"assessment": {"type": "plain_text_input", "value": "Unsafe for nights"}},
                            "recommendation": {
                                "recommendation": {"type": "plain_text_input", "value": "One RN by 19:00"}
                            },
                            "level": {"level": {"type": "static_select", "selected_option": {"value": "3"}}},
                            "summary": {"summary": {"type": "plain_text_input", "value": "Ward 7 nights staffing"}},
                        }
                    },
                },
            }
            assert post_signed(http, base, interaction_body(submission), content_type=FORM).status_code == 200
            wait_for(lambda: (row := _escalation(db)) is not None and row.posted_ts)
            row = _escalation(db)
            assert row is not None and row.level == 3 and row.raised_by == "U1" and row.workspace == "T0TEAM"
            assert row.posted_channel == "C0SITE" and row.next_escalation_at == row.raised_at + timedelta(minutes=15)

            slack_for_team: Callable[[str | None], SlackPlatform] = lambda _team: slack_for(settings)  # noqa: E731
            assert reescalate_overdue(db, slack_for_team, now=row.raised_at + timedelta(minutes=14)) == []
            moved_at = row.raised_at + timedelta(minutes=15, seconds=30)
            assert reescalate_overdue(db, slack_for_team, now=moved_at) == [row.id]
            posts = fake.of("chat.postMessage")
            assert any(p["channel"] == "U0MATRON" and p.get("blocks") for p in posts)
            note = [p for p in posts if p.get("thread_ts") == row.posted_ts]
            assert note and "not acknowledged within 15m; re-escalated to <@U0MATRON>" in note[0]["text"]
            row = _escalation(db)
            assert row is not None and row.contact_step == 1 and row.posted_channel == "U0MATRON"
            assert [h["what"] for h in row.history] == ["raised", "re-escalated"]

            # Acknowledging asks for a read-back; resolving asks for the outcome; the raiser hears of each.
            click = _click("escalation_ack", row.id, "U0MATRON")
            assert post_signed(http, base, click, content_type=FORM).status_code == 200
            form = wait_for(
                lambda: [v for v in fake.of("views.open") if v["view"]["callback_id"] == "escalation_readback"]
            )
            assert isinstance(form, list) and form[0]["view"]["private_metadata"] == str(row.id)
            empty = post_signed(http, base, _step_form("readback", row.id, "U0MATRON", ""), content_type=FORM)
            assert empty.json()["response_action"] == "errors"
            readback = "Moving an RN from ward 9 for nights; will confirm by 18:00"
            said = post_signed(http, base, _step_form("readback", row.id, "U0MATRON", readback), content_type=FORM)
            assert said.status_code == 200
            wait_for(lambda: (r := _escalation(db)) is not None and r.status == "acknowledged")
            acked = _escalation(db)
            assert acked is not None and acked.readback == readback
            assert acked.next_escalation_at == acked.acknowledged_at + timedelta(hours=4)  # OPEL 3 resolution target
            told_raiser = wait_for(lambda: [p for p in fake.of("chat.postMessage") if p["channel"] == "U1"
                                            and "acknowledged by <@U0MATRON>" in p["text"]])  # fmt: skip
            assert isinstance(told_raiser, list) and readback in told_raiser[0]["text"]
            assert "escalation_further" in str(told_raiser[0]["blocks"])

            click = _click("escalation_resolve", row.id, "U0MATRON")
            assert post_signed(http, base, click, content_type=FORM).status_code == 200
            wait_for(lambda: [v for v in fake.of("views.open") if v["view"]["callback_id"] == "escalation_outcome"])
            outcome = "RN from ward 9 in place for nights"
            done_form = _step_form("outcome", row.id, "U0MATRON", outcome)
            assert post_signed(http, base, done_form, content_type=FORM).status_code == 200
            wait_for(lambda: (r := _escalation(db)) is not None and r.status == "resolved")
            wait_for(
                lambda: [p for p in fake.of("chat.postMessage") if p["channel"] == "U1" and "resolved" in p["text"]]
            )
            done = _escalation(db)
            assert done is not None and done.acknowledged_by == "U0MATRON" and done.resolved_by == "U0MATRON"
            assert done.history[-1]["outcome"] == outcome
            assert done.acknowledged_at is not None and done.resolved_at is not None
            assert done.raised_at < done.acknowledged_at <= done.resolved_at and done.next_escalation_at is None
            assert reescalate_overdue(db, slack_for_team, now=moved_at + timedelta(hours=2)) == []
            # Every copy (the site channel's first one and the matron's) shows each new state: none is left
            # "open" with a live Acknowledge button.
            updates = [(u["channel"], u["text"]) for u in fake.of("chat.update")]
            assert sorted(updates) == sorted(
                [("C0SITE", f"Escalation #{row.id}: open")]  # the re-escalation: where it went
                + [
                    (channel, f"Escalation #{row.id}: {state}")
                    for channel in ("C0SITE", "U0MATRON")
                    for state in ("acknowledged", "resolved")
                ]
            )
            # A stale button on the first copy, clicked later: told what happened and by whom, privately.
            late = _click("escalation_ack", row.id, "U0SITE", response_url=fake.url.removesuffix("api/") + "respond/1")
            assert post_signed(http, base, late, content_type=FORM).status_code == 200
            told = wait_for(lambda: fake.of("respond/1"))
            assert isinstance(told, list) and told[0]["response_type"] == "ephemeral"
            assert "already resolved by <@U0MATRON>" in told[0]["text"]

            level = _command("level 3 two RNs short tonight", "/huddle")
            assert post_signed(http, base, level, content_type=FORM).status_code == 200
            announced = wait_for(
                lambda: [p for p in fake.of("chat.postMessage") if "Escalation level is now" in p["text"]]
            )
            assert isinstance(announced, list) and "*3 - OPEL 3*" in announced[0]["text"]
    with db.session() as s:
        change = s.scalars(select(LevelChange)).one()
        assert (change.team_channel, change.level, change.set_by, change.reason) == (
            "C1",
            3,
            "U1",
            "two RNs short tonight",
        )
