"""Who may use the review room, and headers that keep model output inert.

On a loopback address the room answers only to loopback host names (a page elsewhere cannot
reach it through DNS rebinding). Any other bind needs a token: given once as `?token=`, then
kept in an HTTP-only cookie. A post must come from the room's own pages (same Origin).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

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


def install(app: FastAPI, token: str | None, loopback: bool) -> None:
    """Guard every request of `app` (pages, files and static alike)."""

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = refusal(request, token, loopback) or await call_next(request)
        if token and _same(request.query_params.get("token"), token):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        response.headers.update(HEADERS)
        return response
