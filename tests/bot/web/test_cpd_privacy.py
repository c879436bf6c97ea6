"""A participant's CPD reflections are theirs: nobody can lock them out of saving, nobody else can read
them, another site cannot post for them, and a `#key=` link is used only when the person chooses it.
Through uvicorn, and in Chromium where cpd_key.js is involved."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.bot.web.conftest import RunningApp
from transcripts.models import CPDEntry

MINE = "I learned to escalate early on nights"
THEIRS = "Planted by someone else"


def _client(web: RunningApp, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=web.base_url, timeout=60, headers={"Origin": web.base_url}, **kwargs)


def _save(client: httpx.Client, event: int, handle: str, text: str) -> httpx.Response:
    return client.post(
        f"/events/{event}/cpd", data={"handle": handle, "what_you_learned": text, "save": "yes", "format": "md"}
    )


def _key_of(response: httpx.Response) -> str:
    marker = "#key="
    start = response.text.index(marker) + len(marker)
    return response.text[start : response.text.index('"', start)]


def _download(client: httpx.Client, event: int, handle: str, key: str = "") -> httpx.Response:
    return client.post(f"/events/{event}/cpd/download", data={"handle": handle, "format": "md", "key": key})


def test_nobody_can_lock_a_participant_out_of_saving_or_read_what_they_saved(web: RunningApp, seed_event: int) -> None:
    with _client(web) as attacker:
        handles = [h.split("handle=")[1].split('"')[0] for h in attacker.get(f"/events/{seed_event}").text.split(
            f'/events/{seed_event}/cpd?') if h.startswith("handle=")]  # fmt: skip
        assert len(handles) == 14
        attacker_keys = {}
        for handle in handles:  # claim every handle of the chat first
            response = _save(attacker, seed_event, handle, THEIRS)
            assert response.status_code == 200
            attacker_keys[handle] = _key_of(response)

    with _client(web) as nurse:
        response = _save(nurse, seed_event, "evelyn_prodger", MINE)
        assert response.status_code == 200, response.text
        key = _key_of(response)
        assert MINE in _download(nurse, seed_event, "evelyn_prodger").text  # this browser's cookie
        page = nurse.get(f"/events/{seed_event}/cpd", params={"handle": "evelyn_prodger"}).text
        assert MINE in page and THEIRS not in page
        again = _save(nurse, seed_event, "evelyn_prodger", MINE + " and more")  # an update, same key
        assert again.status_code == 200 and _key_of(again) == key

    with _client(web) as attacker:
        stolen = _download(attacker, seed_event, "evelyn_prodger", attacker_keys["evelyn_prodger"])
        assert stolen.status_code == 200 and MINE not in stolen.text and THEIRS in stolen.text
        assert _download(attacker, seed_event, "evelyn_prodger").status_code == 403
    with web.db.session() as session:
        mine = session.scalars(
            select(CPDEntry).where(CPDEntry.owner_key_hash == hashlib.sha256(key.encode()).hexdigest())
        )
        assert mine.one().reflections["what_you_learned"] == MINE + " and more"


def test_a_request_from_another_site_changes_nothing(web: RunningApp, seed_event: int) -> None:
    form = {"handle": "evelyn_prodger", "what_you_learned": THEIRS, "save": "yes", "key": "attackers-key"}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        with httpx.Client(base_url=web.base_url, timeout=60, headers=headers) as other_site:
            for path in ("/cpd", "/cpd/open", "/cpd/download"):
                response = other_site.post(f"/events/{seed_event}{path}", data=form)
                assert response.status_code == 403, (headers, path)
                assert "set-cookie" not in response.headers
                assert response.headers["x-content-type-options"] == "nosniff"
            assert other_site.post("/auth/sign-out").status_code == 403
    with web.db.session() as session:
        assert session.scalars(select(CPDEntry)).all() == []


def test_simultaneous_first_saves_all_succeed_each_under_its_own_key(web: RunningApp, seed_event: int) -> None:
    writers = 12
    barrier = threading.Barrier(writers)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def first_save(i: int) -> None:
        with _client(web) as client:
            barrier.wait(timeout=60)
            response = _save(client, seed_event, "evelyn_prodger", f"reflection {i}")
            with lock:
                results.append((response.status_code, _key_of(response) if response.status_code == 200 else ""))

    threads = [threading.Thread(target=first_save, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(status for status, _ in results) == [200] * writers
    assert len({key for _, key in results}) == writers
    with web.db.session() as session:
        assert len(session.scalars(select(CPDEntry)).all()) == writers


def _save_in_browser(page: Any, cpd_url: str, text: str) -> str:
    page.goto(f"{cpd_url}?handle=evelyn_prodger")
    page.locator("#what_you_learned").fill(text)
    page.locator("#save").check()
    # The saved page starts the download by itself: wait for it, or the next goto races it (ERR_ABORTED).
    with page.expect_download(timeout=30_000):
        page.get_by_role("button", name="Download Markdown").click()
    link = page.locator("#keep-link").get_attribute("href")
    assert link and "#key=" in link
    return str(link)


def _held_key(context: Any) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"].startswith("hb_cpd_")), None)


@pytest.mark.browser
def test_a_link_never_replaces_the_key_a_browser_holds_unless_the_person_chooses_it(
    web: RunningApp, seed_event: int, browser: Any
) -> None:
    cpd_url = f"{web.base_url}/events/{seed_event}/cpd"
    sender = browser.new_context()
    attackers_link = _save_in_browser(sender.new_page(), cpd_url, THEIRS)
    sender.close()

    victim = browser.new_context()
    page = victim.new_page()
    _save_in_browser(page, cpd_url, MINE)
    own_key = _held_key(victim)
    opened: list[str] = []
    page.on("request", lambda r: opened.append(r.url) if r.url.endswith("/cpd/open") else None)
    page.goto(attackers_link)
    notice = page.locator("#key-link-notice")
    expect(notice).to_be_visible(timeout=15_000)
    expect(page.locator("#key-replace-warning")).to_be_visible()
    assert "key" not in page.url  # dropped from the address bar at once
    page.reload()  # give any automatic submission every chance to have happened
    assert opened == [] and _held_key(victim) == own_key
    assert page.locator("#what_you_learned").input_value() == MINE

    page.goto(attackers_link)  # the person reads the warning and chooses the link's key
    expect(notice).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Open my reflections").click()
    expect(page.locator("#what_you_learned")).to_have_value(THEIRS, timeout=15_000)
    assert _held_key(victim) != own_key
    victim.close()

    fresh = browser.new_context()  # a browser with no key: still nothing happens until the person chooses
    page = fresh.new_page()
    page.goto(attackers_link)
    expect(page.locator("#key-link-notice")).to_be_visible(timeout=15_000)
    assert page.locator("#key-replace-warning").count() == 0
    page.reload()
    assert _held_key(fresh) is None and page.locator("#what_you_learned").input_value() == ""
    fresh.close()


def test_the_page_showing_an_owner_key_is_never_cached(web: RunningApp, seed_event: int) -> None:
    with _client(web) as nurse:
        response = _save(nurse, seed_event, "evelyn_prodger", MINE)
        assert "no-store" in response.headers["cache-control"]
        assert (
            "no-store"
            in nurse.get(f"/events/{seed_event}/cpd", params={"handle": "evelyn_prodger"}).headers["cache-control"]
        )
        assert "no-store" in _download(nurse, seed_event, "evelyn_prodger").headers["cache-control"]
