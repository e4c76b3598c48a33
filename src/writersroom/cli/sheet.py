"""`writersroom sheet`: draw a character's reference sheet again, with notes.

Registered on the main command in cli/__init__.py, whose error boundary makes every error one
line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from writersroom import plain
from writersroom.cli.render import opened
from writersroom.errors import InputError
from writersroom.room.redraw import redraw
from writersroom.tools.base import View
from writersroom.tools.sheets import VIEWS

out = Console()


def sheet(
    name: Annotated[str, typer.Argument(help="The character, as the bible names them.")],
    notes: Annotated[
        str | None,
        typer.Option(
            "--notes",
            help='What to change, e.g. "older, grey streak in her hair, no glasses" '
            '(default: the notes it was drawn with; "" for none).',
        ),
    ] = None,
    view: Annotated[
        str | None, typer.Option("--view", help="portrait or figure; default both.")
    ] = None,
    directory: Annotated[Path, typer.Option("--dir", help="The project folder.")] = Path("."),
) -> None:
    """Draw a character's reference sheet again (the first time, if production has not drawn
    it yet); the character's shots are made again on the next render."""
    if view is not None and view not in VIEWS:
        raise InputError(f"--view {view!r}: choose {' or '.join(VIEWS)}")
    views = VIEWS if view is None else (cast(View, view),)
    with opened(directory) as project:
        drawn = redraw(project, name, notes, views)
        kept = project.memory.sheets()[drawn.name]
        lines = [f"Drew {drawn.name}'s sheet:"]
        for reference in drawn.views:
            asked = kept[reference.view]["notes"]
            file = Path(reference.path).relative_to(project.path)
            lines.append(f"  {file} ({f'notes: {asked}' if asked else 'no notes'})")
    lines.append(
        f"The shots {drawn.name} is in are made again on the next render (`writersroom "
        "render`): their reference images changed."
    )
    for line in lines:
        out.print(plain.escaped(line), markup=False, highlight=False, soft_wrap=True)
