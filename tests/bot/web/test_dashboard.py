"""The huddle dashboard is private: refused without sign-in, with an expired link or from another
workspace; a member signed in by the bot's link sees their team's level, actions, escalations and huddles."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from bot.web.auth import SESSION_COOKIE, signin_link, signin_token
from tests.bot.web.conftest import RunningApp, sign_in
from tests.bot.web.huddle_data import T_OURS, T_THEIRS, add_huddles


@pytest.mark.browser
def test_dashboard_is_refused_without_sign_in_expired_link_or_other_workspace(web: RunningApp, browser: Any) -> None:
    huddles = add_huddles(web.db)
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    for url in ("/dashboard", f"/events/{huddles.ours}", f"/events/{huddles.ours}/live", f"/events/{huddles.ours}/cpd"):
        response = page.goto(web.base_url + url)
        assert response is not None and response.status == 401, url
        assert page.get_by_role("link", name="Sign in with Slack").count() == 1
        assert "Bay 2" not in page.content() and "Ward 7" not in page.content()

    expired = signin_token(web.settings, "U2", T_OURS, issued_at=int(time.time()) - 3600)
    response = page.goto(f"{web.base_url}/auth/link?token={expired}")
    assert response is not None and response.status == 401 and "expired" in page.content()
    assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    response = page.goto(web.base_url + "/dashboard")
    assert response is not None and response.status == 401

    tampered = signin_link(web.settings, "U2", T_OURS).replace("token=", "token=x")
    assert (page.goto(tampered) or pytest.fail("no response")).status == 401

    page.goto(signin_link(web.settings, "U9", T_THEIRS))  # a member of the other workspace
    page.get_by_role("button", name="Continue to the dashboard").click()  # the link only asks
    page.wait_for_url("**/dashboard")
    assert "Other trust" in page.locator("#past").inner_text()  # it started a day ago: always a past huddle
    assert "Bay 2" not in page.content() and "Ward 7" not in page.content()
    response = page.goto(f"{web.base_url}/events/{huddles.ours}")
    assert response is not None and response.status == 403 and "Staffing" not in page.content()
    context.close()

    member = browser.new_context()
    page = member.new_page()
    page.goto(signin_link(web.settings, "U2", T_OURS))
    page.get_by_role("button", name="Continue to the dashboard").click()  # the link only asks
    page.wait_for_url("**/dashboard")
    [cookie] = [c for c in member.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    levels = page.locator("#levels").inner_text()
    assert "C_WARD7: OPEL 3" in levels and "Call the site manager" in levels and "Two nurses off sick" in levels
    escalations = page.locator("#escalations").inner_text()
    assert "Open escalations (1)" in escalations and "1 h 35 min" in escalations and "Resolved one" not in escalations
    assert "<script>" in escalations and page.locator("#escalations img, #escalations script").count() == 0
    assert "Other trust" not in page.content()
    actions = page.locator("#actions").inner_text()
    assert "Fix the bay 2 hoist <img" in actions and "U3" in actions and "overdue" in actions
    assert "falls: 3 days" in page.locator("#harm").inner_text()
    assert "pressure ulcers: none recorded" in page.locator("#harm").inner_text()
    run = page.locator("#run-chart table tbody tr")
    assert run.count() == 1 and run.first.locator("td").nth(1).inner_text().strip() == "1"  # Sam took part
    page.get_by_role("link", name="Ward 7 safety huddle").first.click()
    page.wait_for_url(f"**/events/{huddles.ours}")
    assert "Staffing: two short on nights" in page.locator("#transcript").inner_text()
    assert dialogs == [] and page.title() != "pwned"
    member.close()


def test_api_never_serves_huddles(web: RunningApp) -> None:
    huddles = add_huddles(web.db)
    with httpx.Client(base_url=web.base_url, timeout=30) as client:
        sign_in(client, web, "U2", T_OURS)
        assert client.get(f"/api/chats/{huddles.ours}").status_code == 404
        assert client.get(f"/api/chats/{huddles.ours}/messages").status_code == 404
        assert client.get("/api/chats").json() == []
