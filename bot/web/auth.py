"""Who is looking: a signed session cookie, made by "Sign in with Slack" or by a signed link the bot sends.

A huddle's record is private to its Slack workspace, so the session carries the workspace and every
huddle page compares it with the event's. Both ways in end the same way (a session cookie signed with
the installation's key - `bot.web.signing` - HttpOnly, SameSite=Lax); a link works once, within
LINK_MAX_AGE seconds, and a session for a day.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.web.common import db_of, page, settings_of
from bot.web.signing import signing_key
from config.settings import Settings
from transcripts.db import Database
from transcripts.models import UsedSigninToken

router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "hb_session"
STATE_COOKIE = "hb_oidc_state"
SESSION_MAX_AGE = 24 * 3600
LINK_MAX_AGE = 15 * 60
STATE_MAX_AGE = 10 * 60
_LINK_SALT = "huddlebot.signin-link"
_SESSION_SALT = "huddlebot.session"
_STATE_SALT = "huddlebot.oidc-state"
OIDC_SCOPES = ["openid", "profile"]
LINK_USED = "this sign-in link has already been used; ask huddlebot in Slack for a new one"


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    workspace: str
    name: str | None = None


class _SignerAt(TimestampSigner):
    """A timestamp signer that can stamp a chosen time, so a link issued in the past can be made."""

    def __init__(self, *args: Any, issued_at: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._issued_at = issued_at

    def get_timestamp(self) -> int:
        return self._issued_at if self._issued_at is not None else super().get_timestamp()


def _serializer(key: str, salt: str, issued_at: int | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=salt, signer=_SignerAt, signer_kwargs={"issued_at": issued_at})


def _key(request: Request) -> str:
    return request.app.state.signing_key  # type: ignore[no-any-return]


def signin_token(
    settings: Settings, user_id: str, workspace: str, *, issued_at: int | None = None, db: Database | None = None
) -> str:
    """A token for one member of one workspace; `issued_at` (Unix seconds) defaults to now. `db` is
    needed only when SECRET_KEY is unset (the installation's generated key lives there)."""
    key = signing_key(settings, db)
    return str(_serializer(key, _LINK_SALT, issued_at).dumps({"u": user_id, "w": workspace, "j": secrets.token_hex(8)}))


def signin_link(settings: Settings, user_id: str, workspace: str, *, db: Database | None = None) -> str:
    """The link the bot sends a member in Slack; it signs them in to the dashboard once, within LINK_MAX_AGE."""
    base = settings.web_base_url.rstrip("/")
    return f"{base}/auth/link?{urlencode({'token': signin_token(settings, user_id, workspace, db=db)})}"


def current_user(request: Request) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(_key(request), _SESSION_SALT).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    return User(str(data["u"]), str(data["w"]), data.get("n"))


def _start_session(request: Request, response: Response, user: User) -> Response:
    settings = settings_of(request)
    value = _serializer(_key(request), _SESSION_SALT).dumps({"u": user.user_id, "w": user.workspace, "n": user.name})
    response.set_cookie(
        SESSION_COOKIE,
        str(value),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.web_base_url.startswith("https://"),
        path="/",
    )
    return response


def _link_data(request: Request, token: str) -> tuple[dict[str, Any], int]:
    """The sign-in link's member and when it was issued; 401 if forged, expired or already used."""
    try:
        data, issued = _serializer(_key(request), _LINK_SALT).loads(token, max_age=LINK_MAX_AGE, return_timestamp=True)
    except SignatureExpired:
        raise HTTPException(401, "this sign-in link has expired; ask huddlebot in Slack for a new one") from None
    except BadSignature:
        raise HTTPException(401, "this sign-in link is not valid") from None
    with db_of(request).session() as session:
        if session.get(UsedSigninToken, _digest(token)) is not None:
            raise HTTPException(401, LINK_USED)
    return data, int(issued.timestamp())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@router.get("/auth/link")
def confirm_link(request: Request, token: str = "") -> Response:
    """A sign-in link only shows whom it signs in; the person confirms with a POST from this page.

    So a link opened by someone else (or planted by another site) signs nobody in by itself; the page
    whose address carries the token is never cached, and its Referer goes to this site only."""
    data, _issued = _link_data(request, token)
    response = page(
        request,
        "signin_confirm.html.j2",
        token=token,
        member=str(data["u"]),
        workspace=str(data["w"]),
        current=current_user(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/auth/link")
def sign_in_with_link(request: Request, token: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Use the link: once only (its digest is kept until it would have expired anyway)."""
    data, issued = _link_data(request, token)
    moment = datetime.now(UTC)
    try:
        with db_of(request).session() as session:
            session.execute(delete(UsedSigninToken).where(UsedSigninToken.expires_at < moment))
            session.add(
                UsedSigninToken(digest=_digest(token), expires_at=datetime.fromtimestamp(issued + LINK_MAX_AGE, UTC))
            )
    except IntegrityError:  # used by another request at the same moment
        raise HTTPException(401, LINK_USED) from None
    return _start_session(request, RedirectResponse("/dashboard", 303), User(str(data["u"]), str(data["w"])))


def _redirect_uri(settings: Settings) -> str:
    return settings.web_base_url.rstrip("/") + "/auth/slack/callback"


def _oidc_configured(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


@router.get("/auth/slack")
def sign_in_with_slack(request: Request) -> Response:
    settings = settings_of(request)
    if not _oidc_configured(settings):
        raise HTTPException(404, "Sign in with Slack is not set up here (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    generator = OpenIDConnectAuthorizeUrlGenerator(
        client_id=str(settings.slack_client_id), scopes=OIDC_SCOPES, redirect_uri=_redirect_uri(settings)
    )
    response = RedirectResponse(generator.generate(state=state, nonce=nonce), 303)
    response.set_cookie(
        STATE_COOKIE,
        str(_serializer(_key(request), _STATE_SALT).dumps(state)),
        max_age=STATE_MAX_AGE,
        httponly=True,
        samesite="lax",
        path="/auth/slack",
    )
    return response


@router.get("/auth/slack/callback")
def slack_callback(request: Request, code: str = "", state: str = "") -> Response:
    settings = settings_of(request)
    if not _oidc_configured(settings):
        raise HTTPException(404, "Sign in with Slack is not set up here")
    try:
        expected = _serializer(_key(request), _STATE_SALT).loads(
            request.cookies.get(STATE_COOKIE, ""), max_age=STATE_MAX_AGE
        )
    except BadSignature:
        expected = None
    if not code or not state or not secrets.compare_digest(str(expected), state):
        raise HTTPException(401, "sign-in with Slack did not complete (state mismatch); please start again")
    client = WebClient(base_url=settings.slack_api_url)
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    try:
        tokens = client.openid_connect_token(
            client_id=str(settings.slack_client_id),
            client_secret=secret,
            code=code,
            redirect_uri=_redirect_uri(settings),
        )
        info = WebClient(base_url=settings.slack_api_url).openid_connect_userInfo(token=tokens["access_token"])
    except SlackApiError as exc:
        raise HTTPException(401, f"Slack refused the sign-in ({exc.response.get('error', 'error')})") from None
    workspace = info.get("https://slack.com/team_id")
    user_id = info.get("https://slack.com/user_id") or info.get("sub")
    if not workspace or not user_id:
        raise HTTPException(401, "Slack did not say which workspace you belong to")
    response = RedirectResponse("/dashboard", 303)
    response.delete_cookie(STATE_COOKIE, path="/auth/slack")
    return _start_session(request, response, User(str(user_id), str(workspace), info.get("name")))


@router.post("/auth/sign-out")
def sign_out() -> Response:
    response = RedirectResponse("/", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
