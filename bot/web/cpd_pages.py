"""CPD logs on the web: pick your handle, see your prefilled log, write your reflections, download it.

Reflections are private: they are kept only when the person ticks "save my reflections", and then
only with the SHA-256 of a random key that is handed back once (a cookie and a "keep this link" URL).
Each writer has their own entry: without the key nobody - not even someone who picks the same
handle - can read or overwrite them, and nobody's save can stop the real participant saving theirs.
A key from a link is used only when the person chooses it on a page that says what will happen.
The key travels in the link's #fragment and in POST bodies, never in a query string, so it
stays out of access logs and Referer headers. Reflection text is never logged.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.cpd import (
    CODE_THEMES,
    REFLECTION_FIELDS,
    THEME_SEPARATOR,
    CPDLog,
    build_cpd_log,
    chosen_themes,
    hours_given,
    record_rows,
    reflective_account,
    safe_filename,
    to_markdown,
    write_docx,
)
from analysis.cpd_offer import cpd_offered
from bot.web.common import db_of, no_nul, page, settings_of, visible_event
from bot.web.page_cache import analysed
from transcripts.errors import RecordError
from transcripts.models import CPDEntry, Event, Participant

router = APIRouter(include_in_schema=False)

MAX_REFLECTION = 20_000
KEY_COOKIE_MAX_AGE = 3 * 366 * 24 * 3600  # one NMC revalidation cycle
FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _cookie_name(participant_id: int) -> str:
    return f"hb_cpd_{participant_id}"


def _log_for(request: Request, event: Event, handle: str) -> tuple[CPDLog, int]:
    """The prefilled log and the participant's id; 404 when the handle did not take part."""
    with db_of(request).session() as session:
        if not cpd_offered(session, event.id):
            raise HTTPException(404, "this huddle does not offer CPD logs: a daily huddle is everyday practice")
    built = analysed(db_of(request), event.id)
    snapshot = built.report.snapshot
    try:
        log = build_cpd_log(
            snapshot, handle, built.report.assignments, evidence_url=public_base(request) + f"/events/{event.id}"
        )
    except RecordError:
        raise HTTPException(404, f"@{handle.lstrip('@')[:100]} did not take part in this event") from None
    person = next(p for p in snapshot.people.values() if p.handle == log.handle)
    return log, person.id


def _handles(request: Request, event: Event) -> list[str]:
    snapshot = analysed(db_of(request), event.id).report.snapshot
    return sorted({snapshot.author(m).handle for m in snapshot.messages}, key=str.lower)


def _held_keys(request: Request, participant_id: int, key: str | None) -> list[str]:
    """The keys this visitor holds for a participant: one posted with the form, then this browser's cookie."""
    return [k for k in (key, request.cookies.get(_cookie_name(participant_id))) if k]


def _saved(request: Request, event_id: int, participant_id: int, key: str | None) -> CPDEntry | None:
    """The entry written under a key the visitor holds (given, or in their cookie); otherwise nothing.

    Entries are found by their key's hash, so there is nothing to compare and nothing to find without it."""
    held = _held_keys(request, participant_id, key)
    if not held:
        return None
    with db_of(request).session() as session:
        found = _entry_for(session, event_id, participant_id, held)
        if found is None:
            return None
        session.expunge(found[0])
        return found[0]


def _entry_for(session: Session, event_id: int, participant_id: int, held: list[str]) -> tuple[CPDEntry, str] | None:
    """The entry written under the first of the held keys that opens one, with that key."""
    for k in held:
        entry = session.scalar(
            select(CPDEntry).where(
                CPDEntry.event_id == event_id,
                CPDEntry.participant_id == participant_id,
                CPDEntry.owner_key_hash == key_hash(k),
            )
        )
        if entry is not None:
            return entry, k
    return None


@router.get("/events/{event_id}/cpd", response_class=HTMLResponse)
def cpd_page(
    request: Request,
    event_id: int,
    handle: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    event = visible_event(request, event_id)
    no_nul(handle, "handle")
    if not handle:
        return page(request, "cpd_picker.html.j2", event=event, handles=_handles(request, event))
    log, participant_id = _log_for(request, event, handle)
    entry = _saved(request, event.id, participant_id, None)
    reflections = dict(entry.reflections) if entry else {}
    if not reflections.get("nature_of_activity"):
        reflections["nature_of_activity"] = log.nature_of_activity
    response = page(request, "cpd_log.html.j2", **_form_context(event, log, reflections, saved=entry is not None))
    response.headers["Cache-Control"] = "private, no-store"  # may hold someone's own reflections
    return response


def _form_context(event: Event, log: CPDLog, reflections: dict[str, str], *, saved: bool) -> dict[str, object]:
    """What the form shows: the record's rows marked drafted / to complete, the editable hours and the Code."""
    hours, _ = hours_given(log, reflections, "hours")
    participatory, _ = hours_given(log, reflections, "participatory_hours")
    return {
        "event": event,
        "log": log,
        "fields": REFLECTION_FIELDS,
        "reflections": reflections,
        "saved": saved,
        "rows": record_rows(log, reflections),
        "account": {row.label: row.status for row in reflective_account(log, reflections)},
        "code_themes": CODE_THEMES,
        "ticked": chosen_themes(reflections),
        "hours": f"{hours:g}",
        "participatory_hours": f"{participatory:g}",
    }


def public_base(request: Request) -> str:
    """WEB_BASE_URL when it is set; otherwise the address the visitor is actually using."""
    settings = settings_of(request)
    if "web_base_url" in settings.model_fields_set:
        return settings.web_base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def record_entries(
    hours: str, participatory_hours: str, relation_to_practice: str, code_themes: list[str]
) -> dict[str, str]:
    """The CPD record fields the person may write or change, as stored beside their reflections."""
    entries = {
        "hours": hours.strip()[:10],
        "participatory_hours": participatory_hours.strip()[:10],
        "relation_to_practice": relation_to_practice,
        "code_themes": THEME_SEPARATOR.join(t for t in CODE_THEMES if t in code_themes),
    }
    return {k: v for k, v in entries.items() if v}


def _download(log: CPDLog, reflections: dict[str, str], fmt: str) -> Response:
    if fmt not in FORMATS:
        raise HTTPException(400, "format: choose docx or md")
    media, suffix = FORMATS[fmt]
    name = f"cpd-{safe_filename(log.handle)}-event-{log.event_id}.{suffix}"
    if fmt == "md":
        body = to_markdown(log, reflections).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory() as folder:
            body = write_docx(log, Path(folder) / name, reflections).read_bytes()
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    return Response(body, media_type=media, headers=headers)


def _store(request: Request, event_id: int, participant_id: int, reflections: dict[str, str], key: str | None) -> str:
    """Save under the key the visitor holds, or else as a new entry with a new key; returns the key.

    Each writer has their own entry, so whoever saved first for a handle can never lock its owner out,
    and two first saves at once are two entries (each key is random, so they cannot collide)."""
    held = _held_keys(request, participant_id, key)
    with db_of(request).session() as session:
        found = _entry_for(session, event_id, participant_id, held)
        if found is not None:
            found[0].reflections = reflections
            return found[1]
        if session.get(Participant, participant_id) is None:
            raise HTTPException(404, "no such participant")
        new_key = secrets.token_urlsafe(32)
        session.add(
            CPDEntry(
                event_id=event_id,
                participant_id=participant_id,
                reflections=reflections,
                owner_key_hash=key_hash(new_key),
            )
        )
        return new_key


@router.post("/events/{event_id}/cpd")
def cpd_submit(
    request: Request,
    event_id: int,
    handle: Annotated[str, Form(max_length=100)],
    nature_of_activity: Annotated[str, Form(max_length=MAX_REFLECTION)] = "",
    what_you_learned: Annotated[str, Form(max_length=MAX_REFLECTION)] = "",
    how_you_changed_practice: Annotated[str, Form(max_length=MAX_REFLECTION)] = "",
    relevance_to_code: Annotated[str, Form(max_length=MAX_REFLECTION)] = "",
    relation_to_practice: Annotated[str, Form(max_length=MAX_REFLECTION)] = "",
    hours: Annotated[str, Form(max_length=20)] = "",
    participatory_hours: Annotated[str, Form(max_length=20)] = "",
    code_themes: Annotated[list[str] | None, Form(max_length=len(CODE_THEMES))] = None,
    save: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form(alias="format")] = "docx",
    key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    event = visible_event(request, event_id)
    no_nul(handle, "handle")
    log, participant_id = _log_for(request, event, handle)
    reflections = {
        "nature_of_activity": nature_of_activity,
        "what_you_learned": what_you_learned,
        "how_you_changed_practice": how_you_changed_practice,
        "relevance_to_code": relevance_to_code,
        **record_entries(hours, participatory_hours, relation_to_practice, code_themes or []),
    }
    reflections = {k: v.replace("\x00", "").strip() for k, v in reflections.items() if v.strip()}
    if not save:
        return _download(log, reflections, fmt)
    owner_key = _store(request, event.id, participant_id, reflections, key or None)
    link = public_base(request) + (
        f"/events/{event.id}/cpd?" + urlencode({"handle": log.handle}) + "#" + urlencode({"key": owner_key})
    )
    start = fmt if fmt in FORMATS else ""  # the button pressed: its download starts on the saved page
    response = page(request, "cpd_saved.html.j2", event=event, log=log, link=link, key=owner_key, start=start)
    response.headers["Cache-Control"] = "no-store"  # the page shows the owner key: never kept by a cache
    return _remember(request, response, event.id, participant_id, owner_key)


def _remember(request: Request, response: Response, event_id: int, participant_id: int, key: str) -> Response:
    response.set_cookie(
        _cookie_name(participant_id),
        key,
        max_age=KEY_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).web_base_url.startswith("https://"),
        path=f"/events/{event_id}/cpd",
    )
    return response


@router.post("/events/{event_id}/cpd/open")
def cpd_open_saved(
    request: Request,
    event_id: int,
    handle: Annotated[str, Form(max_length=100)],
    key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Open saved reflections with a key the person typed or chose to use from a link; this browser then
    remembers it. Never automatic: a link's key is only filled in, and the page says what using it does."""
    event = visible_event(request, event_id)
    no_nul(handle, "handle")
    log, participant_id = _log_for(request, event, handle)
    if not key or _saved(request, event.id, participant_id, key) is None:
        raise HTTPException(403, "that key does not open any saved reflections for this handle")
    target = f"/events/{event.id}/cpd?" + urlencode({"handle": log.handle})
    return _remember(request, RedirectResponse(target, 303), event.id, participant_id, key)


@router.post("/events/{event_id}/cpd/download")
def cpd_download_saved(
    request: Request,
    event_id: int,
    handle: Annotated[str, Form(max_length=100)],
    fmt: Annotated[str, Form(alias="format")] = "docx",
    key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Download the saved reflections; only with the key (posted, so it stays out of URLs and logs)."""
    event = visible_event(request, event_id)
    no_nul(handle, "handle")
    log, participant_id = _log_for(request, event, handle)
    entry = _saved(request, event.id, participant_id, key or None)
    if entry is None:
        raise HTTPException(403, "no saved reflections you hold the key to")
    return _download(log, dict(entry.reflections), fmt)


def _visible_to(request: Request) -> Callable[[int], bool]:
    def visible(event_id: int) -> bool:
        try:
            visible_event(request, event_id)
        except HTTPException:
            return False
        return True

    return visible


PORTFOLIO_FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "docx": FORMATS["docx"][0],
}


@router.get("/cpd/portfolio", response_class=HTMLResponse)
def cpd_portfolio(
    request: Request,
    handle: Annotated[str | None, Query(max_length=100)] = None,
    fmt: Annotated[str | None, Query(alias="format", max_length=10)] = None,
) -> Response:
    """One person's activities across the events this visitor may see, with totals against the NMC's targets.

    Built from the public record only (each event's prefilled log): saved reflections stay behind their
    owner's key on each event's own CPD page.
    """
    from analysis.portfolio import build_portfolio, portfolio_csv, portfolio_markdown, write_portfolio_docx

    no_nul(handle, "handle")
    if not handle or not handle.strip().lstrip("@"):
        return page(request, "cpd_portfolio.html.j2", portfolio=None, handle="")
    if fmt is not None and fmt not in PORTFOLIO_FORMATS:
        raise HTTPException(400, "format: choose md, csv or docx")
    try:
        portfolio = build_portfolio(
            db_of(request), handle, page_url=public_base(request) + "/events/{event_id}", visible=_visible_to(request)
        )
    except RecordError:
        # Not echoing the handle: the answer must read the same whether or not a private event holds it.
        raise HTTPException(404, "that handle took part in no event you can see") from None
    if fmt is None:
        return page(request, "cpd_portfolio.html.j2", portfolio=portfolio, handle=portfolio.handle)
    name = f"cpd-portfolio-{safe_filename(portfolio.handle)}.{fmt}"
    if fmt == "docx":
        with tempfile.TemporaryDirectory() as folder:
            body = write_portfolio_docx(portfolio, Path(folder) / name).read_bytes()
    else:
        body = (portfolio_csv(portfolio) if fmt == "csv" else portfolio_markdown(portfolio)).encode("utf-8")
    return Response(
        body, media_type=PORTFOLIO_FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
