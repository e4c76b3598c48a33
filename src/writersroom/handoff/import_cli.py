"""`writersroom import SCRIPT`: registered on the main command in cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from writersroom.handoff import importer

out = Console()


def import_script(
    script: Annotated[
        Path,
        typer.Argument(
            help="The episode's screenplay: Fountain (.fountain) or Final Draft (.fdx)."
        ),
    ],
    directory: Annotated[Path, typer.Option("--dir", help="The project folder.")] = Path("."),
    episode: Annotated[
        int | None, typer.Option(help="Its episode number; default the one after the last.", min=1)
    ] = None,
    add_cast: Annotated[
        bool,
        typer.Option("--add-cast", help="Add speakers the bible lacks to it as new characters."),
    ] = False,
) -> None:
    """Bring an episode written elsewhere into the series: its cast is matched against the
    bible, the continuity check runs, and it waits at approve_script."""
    from writersroom.cli import opened, report_status  # the main command registers this one

    with opened(directory) as project:
        with project.writing():
            imported, state = importer.prepare(script, project.memory, episode, add_cast)
            lines = sum(len(scene.lines) for scene in imported.script.scenes)
            out.print(
                f"Imported {escape(str(script))} as episode {imported.episode}: "
                f"{len(imported.script.scenes)} scenes, {lines} lines.",
                highlight=False,
            )
            if imported.added:
                added = escape(", ".join(imported.added))
                out.print(
                    f"Added to the bible as new characters: {added} "
                    "(`writersroom show bible` reads them).",
                    highlight=False,
                )
            # As if the screenwriter had written it: the thread goes on at check_continuity.
            start = importer.start_command(state, project.config.room.review_rounds)
            thread = project._thread(imported.episode)
            project.graph.update_state(thread, start, as_node="write_script")
            project._invoke(imported.episode, None)
        report_status(project)
