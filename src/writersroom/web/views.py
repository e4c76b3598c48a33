"""What the pages show besides the drafts themselves: a draft as comparable text, the diff of
two revisions, the notes a character's sheet was drawn with, and an episode's renders
(thumbnails, video, subtitles) under the project folder.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writersroom.room.production import RENDER_DIR, episode_folder

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_SUFFIXES = (".mp4", ".webm")
SHOT_FILE = re.compile(r"shot[-_ ]?0*(\d+)", re.IGNORECASE)


def clock(seconds: float) -> str:
    """0:05, 1:30: a time in the episode."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


# drafts as text ---------------------------------------------------------------------------
def _bible(d: dict[str, Any]) -> list[str]:
    lines = [
        f"Title: {d['title']}",
        f"Logline: {d['logline']}",
        f"Genre: {d['genre']}",
        f"Tone: {d['tone']}",
        f"World: {d['world']}",
    ]
    for c in d["characters"]:
        lines += [
            "",
            f"CHARACTER {c['name']}",
            f"  role: {c['role']}",
            f"  age: {c['age']}",
            f"  look: {c['look']}",
            f"  voice: {c['voice']}",
            f"  arc: {c['arc']}",
        ]
        lines += [f"  secret: {s}" for s in c.get("secrets", [])]
    lines.append("")
    lines += [f"Episode {e['number']}: {e['logline']}" for e in d["season_arc"]]
    return lines


def _outline(d: dict[str, Any]) -> list[str]:
    lines = [
        f"Episode {d['number']}: {d['title']} (target {clock(d['target_runtime_seconds'])})",
        f"HOOK: {d['hook']}",
    ]
    lines += [f"{clock(b['at_seconds'])} {b['description']}" for b in d["beats"]]
    return [*lines, f"REVERSAL: {d['reversal']}", f"CLIFFHANGER: {d['cliffhanger']}"]


def _script(d: dict[str, Any]) -> list[str]:
    lines = [f"EPISODE {d['episode']}: {d['title'].upper()}"]
    for scene in d["scenes"]:
        lines += ["", f"{scene['number']}. {scene['heading'].upper()}", scene["action"]]
        for line in scene["lines"]:
            said = f"({line['parenthetical']}) " if line.get("parenthetical") else ""
            lines.append(f"  {line['speaker'].upper()}: {said}{line['text']}")
    return lines


def _shots(d: dict[str, Any]) -> list[str]:
    return [
        f"Shot {s['number']} (scene {s['scene']}, {s['framing']}, {s['camera']}, "
        f"{s['duration_seconds']:g} s; {', '.join(s['characters']) or 'no one'}; lines "
        f"{', '.join(map(str, s['lines'])) or 'none'}): {s['visual_prompt']}"
        for s in d["shots"]
    ]


TEXT = {"bible": _bible, "outline": _outline, "script": _script, "shots": _shots}


@dataclass
class DiffLine:
    tag: str  # "same", "added", "removed", or "skip" for unchanged lines left out
    text: str


def diff(old: dict[str, Any], new: dict[str, Any], kind: str, context: int = 2) -> list[DiffLine]:
    """The changed lines of the readable text of `new` against `old`, with `context` unchanged
    lines around each change; longer unchanged stretches become one "skip" line."""
    before, after = TEXT[kind](old), TEXT[kind](new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    lines: list[DiffLine] = []
    opcodes = matcher.get_opcodes()
    for i, (op, a1, a2, b1, b2) in enumerate(opcodes):
        if op != "equal":
            lines += [DiffLine("removed", t) for t in before[a1:a2]]
            lines += [DiffLine("added", t) for t in after[b1:b2]]
            continue
        same = before[a1:a2]
        head = context if i > 0 else 0  # lines kept after the previous change
        tail = context if i < len(opcodes) - 1 else 0  # lines kept before the next change
        if len(same) <= head + tail + 1:
            lines += [DiffLine("same", t) for t in same]
            continue
        lines += [DiffLine("same", t) for t in same[:head]]
        lines.append(DiffLine("skip", f"{len(same) - head - tail} unchanged lines"))
        lines += [DiffLine("same", t) for t in same[len(same) - tail :]]
    return lines


def spoken(shots: dict[str, Any], script: dict[str, Any] | None) -> dict[int, list[list[str]]]:
    """Each shot's dialogue as [speaker, text] pairs, from the script its lines point into."""
    if not script:
        return {}
    scenes = {s["number"]: s["lines"] for s in script["scenes"]}
    said: dict[int, list[list[str]]] = {}
    for shot in shots["shots"]:
        lines = scenes.get(shot["scene"], [])
        said[shot["number"]] = [
            [lines[n - 1]["speaker"], lines[n - 1]["text"]]
            for n in shot["lines"]
            if 1 <= n <= len(lines)
        ]
    return said


def sheet_notes(sheet: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """The notes a character's sheet was drawn with: one ("", notes) when its views share
    them, else (view, notes) for each view drawn with some; none when none were given."""
    asked = {view: entry["notes"] for view, entry in sheet.items()}
    if len(set(asked.values())) == 1:
        shared = next(iter(asked.values()))
        return [("", shared)] if shared else []
    return [(view, notes) for view, notes in asked.items() if notes]


# renders ------------------------------------------------------------------------------------
@dataclass
class Media:
    """An episode's rendered files, as paths relative to the project's render folder."""

    video: str | None = None
    subtitles: str | None = None
    frames: dict[int, str] = field(default_factory=dict)  # shot -> a still
    clips: dict[int, str] = field(default_factory=dict)  # shot -> its rendered video


def episode_media(project: Path, episode: int) -> Media:
    """The files the production tools left for `episode` (see `production.episode_folder`):
    shot-NN/... per shot, episode.mp4 and episode.srt for the cut. Whatever is missing is absent.
    """
    root = project / RENDER_DIR
    folder = episode_folder(project, episode)
    media = Media()
    if not folder.is_dir():
        return media
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        found = SHOT_FILE.search(path.relative_to(folder).as_posix())
        suffix = path.suffix.lower()
        if found and suffix in IMAGE_SUFFIXES:
            media.frames.setdefault(int(found.group(1)), _relative(root, path))
        elif found and suffix in VIDEO_SUFFIXES:
            media.clips.setdefault(int(found.group(1)), _relative(root, path))
    video = folder / "episode.mp4"
    if video.is_file():
        media.video = _relative(root, video)
        if video.with_suffix(".srt").is_file():
            media.subtitles = _relative(root, video.with_suffix(".srt"))
    return media


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def render_file(project: Path, relative: str) -> Path | None:
    """The file at `relative` in the project's render folder, if once resolved (../, symlinks)
    it is still a file in that folder of this project."""
    if "\x00" in relative:
        return None
    folder = project.resolve() / RENDER_DIR
    try:
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
            return None
    except (OSError, ValueError):  # a name too long for the file system, and the like
        return None
    return target


TIMING = re.compile(r"(\d+:\d\d:\d\d),(\d{3})")


def srt_to_vtt(text: str) -> str:
    """WebVTT for a <track> element, from SubRip subtitles."""
    body = TIMING.sub(r"\1.\2", text.replace("\r\n", "\n").lstrip("\ufeff"))
    return "WEBVTT\n\n" + body.strip() + "\n"
