"""Who may use the review room, and headers that keep model output inert.

On a loopback address the room answers only to loopback host names (a page elsewhere cannot
reach it through DNS rebinding). Any other bind needs a token: given once as `?token=`, then
kept in an HTTP-only cookie. A post must come from the room's own pages (same Origin).
A request body over the limit is refused with 413 before it is read (by its Content-Length,
or as it streams in), and whatever goes wrong inside is a 500 page with the same headers and
a log file for the traceback.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from writersroom import boundary

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 2 * 1024 * 1024  # a form with an edited draft is some tens of KB

COOKIE = "writersroom_token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
HEADERS = {
    # Nothing runs but the room's own script, even if a draft's text got into the markup.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "style-src-attr 'unsafe-inline'; img-src 'self'; "
        "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # The token may be in the address: never send it elsewhere. (With "no-referrer" a form's
    # post would carry `Origin: null` and fail the same-origin check.)
    "Referrer-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def refusal(request: Request, token: str | None, loopback: bool) -> Response | None:
    """The answer to a request that may not be served, or None."""
    if loopback and (request.url.hostname or "") not in LOOPBACK_NAMES:
        return PlainTextResponse("this review room answers on 127.0.0.1 only", status_code=400)
    if token and not (
        _same(request.query_params.get("token"), token) or _same(request.cookies.get(COOKIE), token)
    ):
        return PlainTextResponse(
            "a token is required: open the address `writersroom serve` printed "
            "(it ends in ?token=...)",
            status_code=401,
        )
    origin = request.headers.get("origin")
    if request.method == "POST" and origin and urlsplit(origin).netloc != request.url.netloc:
        return PlainTextResponse("refused: a post from another site", status_code=403)
    return None


class TooLarge(Exception):
    """The request body grew past the limit while it was read."""


def too_large(exc: BaseException) -> bool:
    """`exc` is TooLarge, or a group of exceptions (from a task group) that holds one."""
    if isinstance(exc, BaseExceptionGroup):
        return exc.subgroup(TooLarge) is not None
    return isinstance(exc, TooLarge)


class BodyLimit:
    """ASGI middleware: 413 for a body over `limit` bytes, without reading it into memory."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge
            return message

        async def sending(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception as exc:
            if not too_large(exc):
                raise
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Callable) -> None:
        body = f"refused: the request is larger than {self.limit:,} bytes\n".encode()
        headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
        headers += [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def failure(exc: BaseException, request: Request) -> Response:
    """The 500 answer to a bug: one line naming the log file that holds its traceback."""
    log.error("%s %s failed: %r", request.method, request.url.path, exc)
    line = boundary.unexpected_line(exc, f"{request.method} {request.url.path}")
    return PlainTextResponse(f"the review room failed: {line}\n", status_code=500)


def install(
    app: FastAPI, token: str | None, loopback: bool, max_body: int = MAX_BODY_BYTES
) -> None:
    """Guard every request of `app` (pages, files and static alike)."""

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = refusal(request, token, loopback) or await call_next(request)
        except Exception as exc:  # the boundary: a bug is a 500 with a log file
            if too_large(exc):
                raise  # BodyLimit answers it
            response = failure(exc, request)
        if token and _same(request.query_params.get("token"), token):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        response.headers.update(HEADERS)
        return response

    app.add_middleware(BodyLimit, limit=max_body)
