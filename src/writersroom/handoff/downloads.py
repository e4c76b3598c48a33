"""The review room's downloads of an episode: its script as pages, Final Draft or Fountain, and
its cut as a timeline (a zip of the timeline and its subtitles, or of the Jianying draft
folder). Each is made on request into the project's `exports/` folder, as the CLI makes it."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from writersroom.handoff import exports
from writersroom.handoff.exports import TimelineKind
from writersroom.memory import Memory
from writersroom.screenplay import fountain

SCRIPT_KINDS = {"pdf": "Screenplay PDF", "fdx": "Final Draft", "fountain": "Fountain"}
TIMELINE_KINDS = {
    "capcut": "Jianying / CapCut draft",
    "otio": "OpenTimelineIO",
    "fcpxml": "FCP XML (Premiere, Resolve)",
    "edl": "CMX 3600 EDL",
}
KINDS = {**SCRIPT_KINDS, **TIMELINE_KINDS}


def _zipped(files: list[Path], archive: Path) -> Path:
    """`files` (folders with what they hold) in one zip, by their names."""
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        for file in files:
            inside = [file] if file.is_file() else sorted(p for p in file.rglob("*") if p.is_file())
            for item in inside:
                packed.write(item, item.relative_to(file.parent).as_posix())
    return archive


def make(project: Path, memory: Memory, episode: int, kind: str) -> Path:
    """The file to download for `kind` (one of KINDS); InputError when the episode has not
    got that far (no script, not cut)."""
    folder = exports.default_folder(project)
    stem = f"episode-{episode:02d}"
    if kind in ("pdf", "fdx"):
        return exports.export_pages(project, memory, episode, kind, folder / f"{stem}.{kind}")
    if kind == "fountain":
        script = exports.approved_script(memory, episode)
        bible = memory.bible() or {"characters": []}
        cast = [(c["name"], c.get("age")) for c in bible["characters"]]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{stem}.fountain"
        target.write_text(fountain.to_fountain(script, cast), encoding="utf-8")
        return target
    timeline = TimelineKind(kind)
    work = folder / f"{stem}-{kind}"
    shutil.rmtree(work, ignore_errors=True)
    files = exports.export_timeline(project, memory, episode, timeline, work)
    return _zipped(files, folder / f"{stem}-{kind}.zip")
