"""Cross-site request forgery: a state-changing request must come from one of our own pages.

Every POST (and any other unsafe method) must carry an `Origin` header - or, failing that, a `Referer`
- naming this site's own origin: WEB_BASE_URL's when it is set; when it is not (one machine, pages
served at whatever address the visitor used), the address the request was sent to. Browsers always
send `Origin` with a cross-site form or fetch and never let a page choose the Host it sends, so either
way another site cannot make a visitor's browser save, open or sign anything here. Slack's endpoints
are exempt: Slack signs its requests, and the signature is what they check.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.asgi_answers import answer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNED_BY_SLACK = "/slack/"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class SameOriginWrites:
    """Refuses (403) any unsafe request whose Origin (or Referer) is not this site's own."""

    def __init__(self, app: ASGIApp, base_url: str, *, base_url_set: bool = True) -> None:
        self.app = app
        self.origin = origin_of(base_url)
        self.base_url_set = base_url_set

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"].startswith(SIGNED_BY_SLACK):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        claimed = headers.get("origin") or (origin_of(headers["referer"]) if headers.get("referer") else None)
        own = {self.origin}
        if not self.base_url_set and headers.get("host"):
            own.add(f"{scope.get('scheme', 'http')}://{headers['host']}".lower())
        if claimed is not None and claimed.lower() in own:
            await self.app(scope, receive, send)
            return
        detail = f"refused: this request did not come from a page of {self.origin} (the site's WEB_BASE_URL)"
        await answer(send, 403, json.dumps({"detail": detail}).encode(), "application/json")
