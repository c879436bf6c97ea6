"""The Home tab shows each team's level with its actions, open escalations and today's huddles;
`/huddle now` opens an extra huddle in the channel at once."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import httpx

from bot.escalation.levels import set_level
from bot.huddles.definitions import add_definition
from config.huddle_definition import HuddleDefinition
from tests.fakes.slack_api import running_fake_slack
from tests.fakes.slack_web import event_body, post_signed, running_web, slack_settings
from tests.fakes.waiting import wait_for
from transcripts.db import Database
from transcripts.models import Escalation


def test_home_tab_and_huddle_now(db: Database, db_url: str) -> None:
    with running_fake_slack(members={"C1": ["U1", "UBOT"]}) as fake:
        settings = slack_settings(fake, db_url)
        with db.session() as s:
            add_definition(
                s, HuddleDefinition(name="Ward 7 <b>", channel="C1", days=["mon"], time="07:45", prompts=["Staffing"])
            )
            s.add(Escalation(team_channel="C1", level=3, situation="x", summary="Nights <short>", raised_by="U1"))
        set_level(db, None, team_channel="C1", level=3, set_by="U1", reason="two RNs short")
        with running_web(settings, db) as base, httpx.Client(timeout=10) as http:
            command = urlencode(
                {
                    "command": "/huddle",
                    "text": "now",
                    "channel_id": "C1",
                    "user_id": "U1",
                    "team_id": "T0TEAM",
                    "trigger_id": "t",
                    "response_url": "http://127.0.0.1:9/unused",
                }
            )
            response = post_signed(http, base, command, content_type="application/x-www-form-urlencoded")
            assert response.status_code == 200 and "Calling a huddle now" in response.text
            opened = wait_for(lambda: [p for p in fake.of("chat.postMessage") if p.get("blocks")])
            assert isinstance(opened, list) and opened[0]["channel"] == "C1"

            home = event_body({"type": "app_home_opened", "user": "U1", "tab": "home"}, "EvHome")
            assert post_signed(http, base, home, content_type="application/json").status_code == 200
            published = wait_for(lambda: fake.of("views.publish"))
            assert isinstance(published, list)
        text = json.dumps(published[0]["view"])
        assert "*3 - OPEL 3 (set " in text and "two RNs short" in text and "Escalate to the matron" in text
        assert "out of date" not in text  # set moments ago, within the day it is good for
        assert "Open escalations (1)" in text and "Nights &lt;short&gt;" in text and "<short>" not in text
        assert re.search(r"Ward 7 &lt;b&gt; \d{4}-\d{2}-\d{2} in <#C1>: running", text)
