"""The escalation loop closes: per-level contacts, resolution targets, "not satisfied", and an owner
alerted once when the list runs out (once, re-posted to the last contact forever)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.escalation.sbar import acknowledge, raise_escalation, reescalate_overdue, resolve
from bot.huddles.definitions import add_definition
from bot.slack.tokens import slack_for
from config.huddle_definition import DEFAULT_LEVELS, HuddleDefinition
from tests.fakes.slack_api import FakeSlack, running_fake_slack
from tests.fakes.slack_web import interaction_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Escalation

SBAR = {"situation": "Two RNs short for nights", "recommendation": "One RN from the bank by 19:00"}


def _team(db: Database) -> None:
    levels = [lv.model_copy(update={"contacts": ["U0DIRECTOR"]}) if lv.number == 4 else lv for lv in DEFAULT_LEVELS]
    with db.session() as s:
        add_definition(
            s,
            HuddleDefinition(
                name="Ward 7", channel="CWARD", days=["mon"], time="07:45", prompts=["Concerns"], owner="U0OWNER",
                escalation_contacts=["C0NIC", "U0MATRON"], escalation_levels=levels,
            ),
        )  # fmt: skip


def _row(db: Database, escalation_id: int) -> Escalation:
    with db.session() as s:
        row = s.get(Escalation, escalation_id)
        assert row is not None
        s.expunge(row)
        return row


def _dms(fake: FakeSlack, user: str) -> list[str]:
    return [str(p["text"]) for p in fake.of("chat.postMessage") if p["channel"] == user]


def test_each_level_has_its_contacts_and_the_owner_is_alerted_once_when_the_list_runs_out(
    db: Database, db_url: str
) -> None:
    _team(db)
    with running_fake_slack() as fake:
        slack = slack_for(slack_settings(fake, db_url))
        urgent = raise_escalation(db, slack, team_channel="CWARD", raised_by="U1", level=4, sbar=SBAR)
        routine = raise_escalation(db, slack, team_channel="CWARD", raised_by="U1", level=1, sbar=SBAR)
        first = {p["channel"] for p in fake.of("chat.postMessage") if p.get("blocks")}
        assert first == {"U0DIRECTOR", "C0NIC"}  # level 4 goes first to the on-call director
        raised = _row(db, routine).raised_at
        later = [raised + timedelta(hours=h) for h in (2, 4, 6, 8)]
        assert reescalate_overdue(db, lambda _w: slack, now=later[0]) == [urgent, routine]
        assert reescalate_overdue(db, lambda _w: slack, now=later[1]) == [routine]  # urgent: owner alerted once
        for moment in later[2:]:
            reescalate_overdue(db, lambda _w: slack, now=moment)
    alerts = [p for p in fake.of("chat.postMessage") if p["channel"] == "U0OWNER"]
    assert len(alerts) == 2 and all("reached the last contact" in str(a["text"]) for a in alerts)
    for escalation_id in (urgent, routine):
        row = _row(db, escalation_id)
        assert [h["what"] for h in row.history].count("owner alerted") == 1 and row.next_escalation_at is None
        assert row.status == "open"
    to_matron = [p for p in fake.of("chat.postMessage") if p["channel"] == "U0MATRON" and p.get("blocks")]
    assert len(to_matron) == 1  # not re-posted to the last contact at every tick


def test_an_acknowledged_escalation_moves_on_when_not_resolved_in_time(db: Database, db_url: str) -> None:
    _team(db)
    with running_fake_slack() as fake:
        slack = slack_for(slack_settings(fake, db_url))
        escalation_id = raise_escalation(db, slack, team_channel="CWARD", raised_by="U1", level=3, sbar=SBAR)
        assert acknowledge(db, slack, escalation_id, "U0NIC", readback="Will ask the bank and confirm by 18:00")
        acked = _row(db, escalation_id)
        assert acked.acknowledged_at is not None
        assert reescalate_overdue(db, lambda _w: slack, now=acked.acknowledged_at + timedelta(hours=3)) == []
        moved_at = acked.acknowledged_at + timedelta(hours=4, minutes=1)
        assert reescalate_overdue(db, lambda _w: slack, now=moved_at) == [escalation_id]
    row = _row(db, escalation_id)
    assert row.status == "open" and row.posted_channel == "U0MATRON"
    assert any("not resolved within 4h of being acknowledged" in t for t in _dms(fake, "U1"))


def test_the_raiser_resolving_is_not_an_acknowledgement(db: Database, db_url: str) -> None:
    _team(db)
    with running_fake_slack() as fake:
        slack = slack_for(slack_settings(fake, db_url))
        escalation_id = raise_escalation(db, slack, team_channel="CWARD", raised_by="U1", level=2, sbar=SBAR)
        assert resolve(db, slack, escalation_id, "U1", outcome="Sorted it ourselves")
    row = _row(db, escalation_id)
    assert row.status == "resolved" and row.acknowledged_by is None and row.acknowledged_at is None


def test_not_satisfied_moves_it_on_at_once_and_only_for_the_person_who_raised_it(db: Database, db_url: str) -> None:
    _team(db)
    with running_fake_slack() as fake:
        settings = slack_settings(fake, db_url)
        slack = slack_for(settings)
        escalation_id = raise_escalation(db, slack, team_channel="CWARD", raised_by="U1", level=2, sbar=SBAR)
        assert resolve(db, slack, escalation_id, "U0NIC", outcome="Told them to manage")
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            for user in ("U2", "U1"):  # a bystander's click changes nothing; the raiser's moves it on
                click = interaction_body({
                    "type": "block_actions", "team": {"id": "T0TEAM"}, "user": {"id": user}, "api_app_id": "A0APP",
                    "trigger_id": "t", "container": {"type": "message"},
                    "response_url": fake.url.removesuffix("api/") + f"respond/{user}",
                    "actions": [{"type": "button", "action_id": "escalation_further", "block_id": "b",
                                 "value": str(escalation_id)}],
                })  # fmt: skip
                sent = post_signed(http, base, click, content_type="application/x-www-form-urlencoded")
                assert sent.status_code == 200
                wait_for(lambda u=user: fake.of(f"respond/{u}"))
    assert "Escalated further" in fake.of("respond/U1")[0]["text"]
    assert "Escalated further" not in fake.of("respond/U2")[0]["text"]
    with db.session() as s:
        row = s.scalars(select(Escalation)).one()
        assert row.status == "open" and row.posted_channel == "U0MATRON" and row.contact_step == 1
        assert "not satisfied" in [h["what"] for h in row.history]
