"""`writersroom serve`: the review room on 127.0.0.1, or with a token on any other address."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from writersroom.errors import WritersroomError
from writersroom.project import Project

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def serve(
    directory: Annotated[Path, typer.Option("--dir", help="The project folder.")] = Path("."),
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option(help="The address to listen on; beyond loopback a token is required.")
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(help="Require this token (default: none on 127.0.0.1, else generated)."),
    ] = None,
) -> None:
    """Open the review room: read, compare and decide the drafts in a browser."""
    import uvicorn  # the web stack is loaded only for this command

    from writersroom.web.app import create_app
    from writersroom.web.security import is_loopback

    path = directory.resolve()
    try:
        Project(path).close()  # fail here, not on the first page, if this is no project
    except WritersroomError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    out.print(f"The review room for {path} is open at {address}", markup=False)
    if not loopback:
        out.print("Anyone who can reach this address needs the token in it.")
    uvicorn.run(create_app(path, token, loopback), host=host, port=port, log_level="warning")
