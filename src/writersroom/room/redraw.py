"""A character's reference sheet drawn again on request, with a person's notes: what
`writersroom sheet` and the review room's Redraw both do (the drawing: `tools.sheets.remake`).

A redraw writes the project (the sheet's files and the characters table), so it holds the run
lock like a render: while a run holds it, the redraw is refused (`Busy`). Each view redrawn is
a paid call, one row of the cost ledger in a run of its own of the current episode.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from writersroom.errors import InputError
from writersroom.limits import MAX_NOTES_CHARS
from writersroom.memory import Memory
from writersroom.room.production import RENDER_DIR, image_backend, image_price, seed_of
from writersroom.room.project import Project
from writersroom.tools import sheets
from writersroom.tools.base import CharacterLook, Reference, View
from writersroom.tools.cache import RenderCache


@dataclass(frozen=True)
class Redrawn:
    """The character whose sheet was drawn again, and the views drawn, as files."""

    name: str
    views: list[Reference]


def character(memory: Memory, name: str) -> CharacterLook:
    """The approved bible's character `name` (in any case) as drawn: the look and the seed."""
    rows = {row["name"]: row for row in memory.db.table("characters").rows}
    if not rows:
        raise InputError(
            "the series has no approved bible yet, so no cast to draw: see `writersroom status`"
        )
    row = rows.get(name) or next(
        (row for known, row in rows.items() if known.casefold() == name.casefold()), None
    )
    if row is None:
        raise InputError(f"no character called {name!r}; the cast: {', '.join(rows)}")
    seed = row.get("seed") or seed_of(row["name"])
    return CharacterLook(name=row["name"], look=row["look"] or "", seed=seed)


def redraw(
    project: Project, name: str, notes: str | None, views: Collection[View] = sheets.VIEWS
) -> Redrawn:
    """Draw `views` of `name`'s sheet again (and any view it lacks, the first time) with
    `notes`, kept with the sheet; None keeps the notes each view was drawn with."""
    notes = None if notes is None else notes.strip()
    if notes is not None and len(notes) > MAX_NOTES_CHARS:
        raise InputError(
            f"the notes are {len(notes):,} characters; keep them under {MAX_NOTES_CHARS:,}"
        )
    with project.writing():
        look = character(project.memory, name)
        project.lock.running(f"the redraw of {look.name}'s sheet")
        # paid in a run of its own of the current episode's ledger
        cache = RenderCache(project.memory.db, project.path / RENDER_DIR, project.current_episode())
        production = project.config.production
        drawn = sheets.remake(
            cache, look, image_backend(production), image_price(production), notes, views
        )
    return Redrawn(look.name, drawn)
