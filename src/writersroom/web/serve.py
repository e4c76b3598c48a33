"""`writersroom serve`: the review room on 127.0.0.1, or with a token on any other address."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from writersroom.errors import InputError
from writersroom.room.project import Project

out = Console(highlight=False, soft_wrap=True)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), or InputError saying why it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"--host {host!r} is not an address here ({exc})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot listen on {host} port {port} ({exc.strerror}): choose another --port"
        ) from None
    return sock


def serve(
    directory: Annotated[Path, typer.Option("--dir", help="The project folder.")] = Path("."),
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000,
    host: Annotated[
        str, typer.Option(help="The address to listen on; beyond loopback a token is required.")
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(help="Require this token (default: none on 127.0.0.1, else generated)."),
    ] = None,
    max_body_mb: Annotated[
        float,
        typer.Option(help="The largest request the page takes, in MB (an edited draft).", min=0.1),
    ] = 2.0,
) -> None:
    """Open the review room: read, compare and decide the drafts in a browser."""
    import uvicorn  # the web stack is loaded only for this command

    from writersroom.web.app import create_app
    from writersroom.web.security import is_loopback

    path = directory.resolve()
    Project(path).close()  # fail here, not on the first page, if this is no project
    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
    sock = listen(host, port)  # a busy port fails before the address is printed
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    out.print(f"The review room for {path} is open at {address}", markup=False)
    if not loopback:
        out.print("Anyone who can reach this address needs the token in it.")
    app = create_app(path, token, loopback, int(max_body_mb * 1024 * 1024))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
