"""Patient identifiers never reach a huddle's record, summary or CPD log: signed Slack requests to the real
Bolt app under uvicorn, the real slack_sdk client, the local Slack.

Today's example, a valid NHS number with a name, a bed and a date of birth, once went everywhere: stored,
broadcast in the summary, copied into the CPD log.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import select

from analysis.cpd import write_cpd_logs
from bot.escalation.sbar import copies
from bot.huddles import flow, sessions
from bot.huddles.definitions import add_definition
from bot.slack.tokens import slack_for
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import event_body, interaction_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Escalation, MessageRow, Prompt
from transcripts.snapshot import load_event

PATIENT = "Bed 4 John Smith DOB 01/02/1950 NHS no 943 476 5919"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _reply(root: str, user: str, ts: str, text: str, event_id: str) -> str:
    event = {"type": "message", "channel": "CWARD", "user": user, "text": text, "ts": ts, "thread_ts": root}
    return event_body(event, event_id)


def _row(db: Database, ts: str) -> MessageRow | None:
    with db.session() as s:
        return s.scalars(select(MessageRow).where(MessageRow.platform_id == f"CWARD:{ts}")).first()


def test_a_thread_reply_with_patient_identifiers_is_withheld_until_edited(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    with running_fake_slack(members={"CWARD": ["U1", "U2"]}) as fake:
        settings = slack_settings(fake, db_url)
        definition = HuddleDefinition(
            name="Ward 7", channel="CWARD", days=["mon"], time="07:45",
            prompts=["Incidents", {"text": "Patients at risk", "concern": True}], members=["U1", "U2"],
            cpd_logs=True,  # so the CPD logs exist, to show the withheld words are not in them
        )  # fmt: skip
        with db.session() as s:
            definition_id = add_definition(s, definition)
        event_id = flow.open_huddle(db, slack_for(settings), definition, definition_id=definition_id)
        with db.session() as s:
            _, root = sessions.opening_ts(s, event_id) or ("", "")
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            for body in (
                _reply(root, "U1", "1900000000.000100", f"2: {PATIENT}", "Ev1"),
                _reply(root, "U2", "1900000000.000200", "2: bay 3 falls risk", "Ev2"),
            ):
                assert post_signed(http, base, body, content_type=JSON).status_code == 200
            warning = wait_for(lambda: fake.of("chat.postEphemeral"), "the private warning")
            wait_for(lambda: _row(db, "1900000000.000200"), "the clean reply to be stored")

            assert isinstance(warning, list) and len(warning) == 1
            assert warning[0]["user"] == "U1" and warning[0]["channel"] == "CWARD" and warning[0]["thread_ts"] == root
            assert "NHS number (943 476 5919)" in warning[0]["text"]
            assert "bed or bay alone, or by initials" in warning[0]["text"]
            held = _row(db, "1900000000.000100")
            assert held is not None and held.withheld_reason and "NHS number" in held.withheld_reason
            stored = json.dumps({"text": held.text, "raw": held.raw})
            assert "943" not in stored and "Smith" not in stored and "1950" not in stored

            # Withheld from the summary, and from the page and CPD logs made from the record.
            with db.session() as s:
                close = s.scalars(select(Prompt).where(Prompt.event_id == event_id, Prompt.kind == "close")).one()
            flow.close(db, slack_for(settings), event_id, close.id, "http://huddles")
            [summary] = [p for p in fake.of("chat.postMessage") if "Summary of" in str(p.get("text"))]
            assert "bay 3 falls risk" in summary["text"] and "943" not in summary["text"]
            assert "Smith" not in summary["text"]
            with db.session() as s:
                assert all("Smith" not in m.text for m in load_event(s, event_id).messages)
            logs = write_cpd_logs(db, event_id, tmp_path / "cpd")
            assert logs and not any("Smith" in log.read_text() or "943" in log.read_text() for log in logs)

            # Edited to leave the details out, it is released; the button removes only the author's own reply.
            edit = {
                "type": "message", "subtype": "message_changed", "channel": "CWARD", "ts": "1900000000.000300",
                "message": {"type": "message", "user": "U1", "text": "2: bed 4, JS, deteriorating overnight",
                            "ts": "1900000000.000100", "thread_ts": root,
                            "edited": {"user": "U1", "ts": "1900000000.000300"}},
            }  # fmt: skip
            post_signed(http, base, event_body(edit, "Ev3"), content_type=JSON)
            released = wait_for(lambda: (r := _row(db, "1900000000.000100")) is not None and r.withheld_reason is None)
            assert released
            assert (_row(db, "1900000000.000100") or MessageRow()).text == "2: bed 4, JS, deteriorating overnight"


def test_forms_refuse_patient_identifiers_and_an_escalation_can_confirm_with_one_click(
    db: Database, db_url: str
) -> None:
    with running_fake_slack() as fake:
        settings = slack_settings(fake, db_url)
        definition = HuddleDefinition(name="Ward 7", channel="CWARD", days=["mon"], time="07:45", prompts=["Concerns"])
        event_id = flow.open_huddle(db, slack_for(settings), definition, definition_id=None)
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            answer = {
                "type": "view_submission", "team": {"id": "T0TEAM"}, "user": {"id": "U1"}, "api_app_id": "A0APP",
                "view": {"id": "VA1", "type": "modal", "callback_id": "huddle_answers",
                         "private_metadata": str(event_id),
                         "state": {"values": {"p1": {"answer": {"type": "plain_text_input", "value": PATIENT}}}}},
            }  # fmt: skip
            refused = post_signed(http, base, interaction_body(answer), content_type=FORM)
            assert refused.status_code == 200
            body = refused.json()
            assert body["response_action"] == "errors" and "NHS number" in body["errors"]["p1"]

            def sbar(confirm: bool, recommendation: str = "Review by the outreach team within 30 min") -> str:
                values = {
                    "situation": {"situation": {"type": "plain_text_input", "value": PATIENT + " NEWS2 of 7"}},
                    "recommendation": {"recommendation": {"type": "plain_text_input", "value": recommendation}},
                    "level": {"level": {"type": "static_select", "selected_option": {"value": "4"}}},
                    "confirm_identifiers": {"confirm_identifiers": {
                        "type": "checkboxes", "selected_options": [{"value": "confirmed"}] if confirm else []}},
                }  # fmt: skip
                return interaction_body({
                    "type": "view_submission", "team": {"id": "T0TEAM"}, "user": {"id": "U1"}, "api_app_id": "A0APP",
                    "view": {"id": "VS1", "type": "modal", "callback_id": "sbar", "private_metadata": "CWARD",
                             "state": {"values": values}},
                })  # fmt: skip

            first = post_signed(http, base, sbar(confirm=False), content_type=FORM).json()
            assert first["response_action"] == "errors" and "NHS number" in first["errors"]["situation"]
            assert "tick 'Send anyway" in first["errors"]["situation"]
            no_ask = post_signed(http, base, sbar(confirm=True, recommendation=""), content_type=FORM).json()
            assert no_ask["errors"] == {"recommendation": "Say what you need, from whom, by when: the clear ask."}
            sent = post_signed(http, base, sbar(confirm=True), content_type=FORM)
            assert sent.status_code == 200 and not sent.content
            escalation = wait_for(lambda: _escalation(db), "the confirmed escalation")
    assert isinstance(escalation, Escalation) and escalation.level == 4
    confirmed = [h for h in escalation.history if h["what"] == "identifiers confirmed"]
    assert confirmed and confirmed[0]["by"] == "U1" and "NHS number" in confirmed[0]["kinds"]
    assert copies(escalation)


def _escalation(db: Database) -> Escalation | None:
    with db.session() as s:
        row = s.scalars(select(Escalation)).first()
        if row is not None and row.posted_ts:
            s.expunge(row)
            return row
        return None
