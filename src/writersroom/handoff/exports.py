"""`writersroom export EPISODE --timeline/--pdf/--fdx`: what each export writes, and where.

The libraries that own the formats (OpenTimelineIO and its adapters, pyJianYingDraft,
screenplain) come with the `export` extra; they are imported only when an export asks for them,
so a missing one is a one-line error naming the install command.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from types import ModuleType

from writersroom.errors import InputError
from writersroom.memory import Memory
from writersroom.schemas import Script

EXPORTS_DIR = "exports"


class TimelineKind(StrEnum):
    """The timeline formats: a Jianying/CapCut draft, OTIO, FCP 7 XML and CMX 3600 EDL."""

    capcut = "capcut"
    otio = "otio"
    fcpxml = "fcpxml"
    edl = "edl"


def _module(name: str) -> ModuleType:
    """A handoff module whose format library comes with the `export` extra."""
    try:
        return importlib.import_module(f"writersroom.handoff.{name}")
    except ModuleNotFoundError as exc:
        raise InputError(
            f"this export needs {exc.name}, which is not installed: "
            "pip install 'writersroom[export]'"
        ) from None


def default_folder(project: Path) -> Path:
    return project / EXPORTS_DIR


def export_timeline(
    project: Path, memory: Memory, episode: int, kind: TimelineKind, out: Path | None
) -> list[Path]:
    """Write the episode's cut as a timeline of `kind` into the folder `out`."""
    from writersroom.handoff.cut import read_cut

    folder = out or default_folder(project)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; --out takes a folder for a timeline")
    writer = _module("capcut" if kind is TimelineKind.capcut else "timelines")
    cut = read_cut(project, memory, episode)
    if kind is TimelineKind.capcut:
        return [writer.write(cut, folder)]
    return list(writer.write(cut, kind.value, folder))


def approved_script(memory: Memory, episode: int) -> Script:
    """The episode's approved script, else its latest draft."""
    row = memory.episode(episode)
    if row and row.get("script"):
        return Script.model_validate_json(row["script"])
    draft = memory.draft(episode, "script")
    if draft is None:
        raise InputError(f"episode {episode} has no script yet")
    return Script.model_validate(draft["content"])


def export_pages(project: Path, memory: Memory, episode: int, kind: str, out: Path | None) -> Path:
    """Write the episode's script as screenplay pages (`pdf`) or Final Draft (`fdx`)."""
    script = approved_script(memory, episode)
    bible = memory.bible() or {"title": "", "characters": []}
    series = bible.get("title") or "Untitled series"
    cast = [(c["name"], c.get("age")) for c in bible["characters"]]
    target = out or default_folder(project) / f"episode-{episode:02d}.{kind}"
    if target.is_dir():
        target = target / f"episode-{episode:02d}.{kind}"
    pages = _module("pages")
    writer = pages.write_pdf if kind == "pdf" else pages.write_fdx
    return writer(series, script, cast, target)
