"""Two workspaces' huddle records for the dashboard and auth tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from config.huddle_definition import EscalationLevel, HuddleDefinition
from transcripts.db import Database
from transcripts.message import Author, Message
from transcripts.models import Action, Definition, Escalation, Event, HarmEvent, LevelChange
from transcripts.store import store_messages

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>alert('x')</script>"


@dataclass(frozen=True, slots=True)
class Huddles:
    ours: int  # today's huddle in workspace T_OURS
    theirs: int  # a huddle in workspace T_THEIRS


T_OURS, T_THEIRS = "T0URS", "T7HEIRS"


def add_huddles(db: Database) -> Huddles:
    moment = datetime.now(UTC).replace(microsecond=0)
    with db.session() as session:
        levels = [
            EscalationLevel(number=1, name="OPEL 1", actions=["Business as usual"]),
            EscalationLevel(number=2, name="OPEL 2", actions=["Tell the bed manager"]),
            EscalationLevel(number=3, name="OPEL 3", actions=["Call the site manager", "Stop elective admissions"]),
        ]
        body = HuddleDefinition(
            name="Ward 7 safety huddle", channel="C_WARD7", workspace=T_OURS, days=["mon"], time="07:45",
            prompts=["Staffing"], escalation_levels=levels, cpd_logs=True,  # this team offers CPD logs of its huddles
        )  # fmt: skip
        definition = Definition(
            kind="huddle", name=body.name, workspace=T_OURS, body=body.model_dump(mode="json")
        )
        session.add(definition)
        session.flush()
        session.add(
            LevelChange(
                workspace=T_OURS, team_channel="C_WARD7", level=1, set_by="U1", set_at=moment - timedelta(hours=5)
            )
        )
        session.add(
            LevelChange(
                workspace=T_OURS,
                team_channel="C_WARD7",
                level=3,
                set_by="U2",
                reason="Two nurses off sick",
                set_at=moment - timedelta(hours=1),
            )
        )
        session.add(LevelChange(workspace=T_THEIRS, team_channel="C_OTHER", level=4, set_by="U9", set_at=moment))
        session.add(
            Action(
                workspace=T_OURS, team_channel="C_WARD7", what="Fix the bay 2 hoist " + HOSTILE, owner="U3",
                due_at=moment - timedelta(hours=2), created_by="U2",
            )
        )  # fmt: skip
        session.add(
            HarmEvent(
                workspace=T_OURS, team_channel="C_WARD7", kind="falls", occurred_at=moment - timedelta(days=3),
                recorded_by="U2",
            )
        )  # fmt: skip
        session.add(
            Escalation(
                workspace=T_OURS,
                team_channel="C_WARD7",
                level=3,
                situation="Bay 2 short of a nurse " + HOSTILE,
                recommendation="Send bank staff by 14:00",
                raised_by="U2",
                raised_at=moment - timedelta(minutes=95),
            )
        )
        session.add(
            Escalation(
                workspace=T_OURS,
                team_channel="C_WARD7",
                level=2,
                situation="Resolved one",
                raised_by="U3",
                status="resolved",
                raised_at=moment - timedelta(days=1),
            )
        )
        session.add(
            Escalation(
                workspace=T_THEIRS,
                team_channel="C_OTHER",
                level=4,
                situation="Other trust's secret",
                raised_by="U9",
                raised_at=moment,
            )
        )
        ours = Event(
            kind="huddle",
            title="Ward 7 safety huddle",
            channel="C_WARD7",
            workspace=T_OURS,
            definition_id=definition.id,
            starts_at=moment - timedelta(minutes=20),
            ends_at=moment - timedelta(minutes=5),
            timezone="UTC",
            status="closed",
            platforms=["slack"],
        )
        theirs = Event(
            kind="huddle",
            title="Other trust huddle",
            channel="C_OTHER",
            workspace=T_THEIRS,
            starts_at=moment - timedelta(days=1),
            ends_at=moment - timedelta(days=1, minutes=-15),
            timezone="UTC",
            status="closed",
            platforms=["slack"],
        )
        session.add_all([ours, theirs])
        session.flush()
        nurse = Author("slack", "U2", "sam.nurse", name="Sam", bio="Ward sister " + HOSTILE)
        store_messages(
            session,
            ours.id,
            [
                Message(
                    "slack",
                    "1700000000.000100",
                    "C_WARD7",
                    nurse,
                    "Staffing: two short on nights " + HOSTILE,
                    moment - timedelta(minutes=18),
                ),
                Message(
                    "slack",
                    "1700000000.000200",
                    "C_WARD7",
                    nurse,
                    "Good news: 100 days without a fall",
                    moment - timedelta(minutes=15),
                ),
            ],
        )
        return Huddles(ours.id, theirs.id)
