"""A short answer sent straight from an ASGI middleware, before (or instead of) the app: one place for
the refusals the security middlewares make (403 cross-site, 429 too many, 500 unexpected)."""

from __future__ import annotations

from starlette.types import Send


async def answer(send: Send, status: int, body: bytes, content_type: str, *extra: tuple[bytes, bytes]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})
