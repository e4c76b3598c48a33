"""Screenplay pages (PDF) and Final Draft files (.fdx) of a script, written by screenplain.

The script goes through its Fountain text (`fountain.to_fountain`, the room's own export) with a
title page for reading: the series, the episode's title and number, the date. screenplain lays
it out in the standard format: Courier (Prime) 12 on US Letter, scene headings with their
numbers, character cues and dialogue at their margins, and a title page.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from screenplain.export.fdx import to_fdx
from screenplain.export.pdf import to_pdf
from screenplain.parsers import fountain as screenplain_fountain
from screenplain.types import Screenplay

from writersroom import fountain
from writersroom.schemas import Script


def _quoted(text: str) -> str:
    """A title-page value on one line, without Fountain's emphasis marks."""
    return " ".join(text.replace("*", "").replace("_", " ").split())


def pages_text(series: str, script: Script, cast: list[tuple[str, int | None]]) -> str:
    """The script's Fountain text with a title page for print: series, episode, date."""
    body = fountain.to_fountain(script, cast).split("\n\n", 1)[1]
    title_page = [
        "Title:",
        f"    **{_quoted(series).upper()}**",
        f'    "{_quoted(script.title)}"',
        f"Credit: Episode {script.episode}",
        f"Draft date: {date.today().isoformat()}",
        "",
        "",
    ]
    return "\n".join(title_page) + body


def screenplay(series: str, script: Script, cast: list[tuple[str, int | None]]) -> Screenplay:
    text = pages_text(series, script, cast)
    return screenplain_fountain.parse(io.StringIO(text))


def write_pdf(series: str, script: Script, cast: list[tuple[str, int | None]], out: Path) -> Path:
    """Screenplay pages of the script as a PDF at `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    to_pdf(screenplay(series, script, cast), str(out))
    return out


def write_fdx(series: str, script: Script, cast: list[tuple[str, int | None]], out: Path) -> Path:
    """The script as a Final Draft document at `out`: one paragraph per element."""
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    to_fdx(screenplay(series, script, cast), buffer)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return out
