"""Fountain, the plain-text screenplay format: import to a `Screenplay`, export a `Script`.

A `Screenplay` keeps what the checker needs from any Fountain file: the title page, and per
scene the heading and its action and dialogue in order, each with its line in the file. A room
`Script` converts to and from it; the export writes the cast on the title page
(`Characters: Lin Mei (26), ...`) so that a re-import restores every name exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from writersroom.errors import InputError
from writersroom.room.answers import summarize
from writersroom.schemas import Script

MAX_SCRIPT_BYTES = 1_000_000  # a feature film in Fountain is about 200 KB

HEADING = re.compile(r"^(?:INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[. ]", re.IGNORECASE)
SCENE_NUMBER = re.compile(r"\s*#([\w.-]+)#\s*$")
EXTENSION = re.compile(r"\s*[(\uff08]([^()\uff08\uff09]*)[)\uff09]\s*$")  # (V.O.), （画外音）
TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z _-]*):\s*(.*)$")
CAST_ENTRY = re.compile(r"^(.*?)\s*(?:\((\d{1,3})\))?$")
BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
NOTE = re.compile(r"\[\[.*?\]\]", re.DOTALL)


@dataclass
class Action:
    text: str
    at: int = 0  # the line in the file, 1-based (0: not from a file)


@dataclass
class Dialogue:
    speaker: str
    text: str
    parenthetical: str = ""
    extension: str = ""  # V.O., O.S., CONT'D
    line: int = 0  # 1-based among the scene's dialogue
    at: int = 0


@dataclass
class SceneText:
    number: int
    heading: str
    elements: list[Action | Dialogue] = field(default_factory=list)
    at: int = 0

    def dialogue(self) -> list[Dialogue]:
        return [e for e in self.elements if isinstance(e, Dialogue)]


@dataclass
class Screenplay:
    title: str
    scenes: list[SceneText]
    title_page: dict[str, str] = field(default_factory=dict)

    def cast(self) -> list[tuple[str, int | None]]:
        """The title page's `Characters:` entries as (name, age or None)."""
        value = self.title_page.get("characters", "")
        entries = [e.strip() for e in re.split(r"[,\n]", value) if e.strip()]
        cast = []
        for entry in entries:
            match = CAST_ENTRY.match(entry)
            assert match is not None  # the pattern matches any string
            cast.append((match.group(1), int(match.group(2)) if match.group(2) else None))
        return cast

    def episode(self) -> int | None:
        value = self.title_page.get("episode", "").strip()
        return int(value) if value.isdigit() else None


def _is_cue(line: str) -> bool:
    if line.startswith("@"):
        return True
    if line.startswith("!"):
        return False  # forced action
    name = EXTENSION.sub("", line.rstrip("^").strip())
    return bool(name) and name == name.upper() and any(c.isalpha() for c in name)


def _is_heading(line: str) -> bool:
    return bool(HEADING.match(line)) or (line.startswith(".") and not line.startswith(".."))


def _cue(line: str) -> tuple[str, str]:
    name = line.removeprefix("@").rstrip("^").strip()
    extensions: list[str] = []
    while match := EXTENSION.search(name):
        extensions.insert(0, match.group(1).strip())
        name = name[: match.start()].strip()
    return name, " ".join(extensions)


def _blocks(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines as (first line number, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines[start:], start + 1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line.rstrip())
        else:
            current = []
    return blocks


def _title_page(lines: list[str]) -> tuple[dict[str, str], int]:
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if first == len(lines) or not TITLE_KEY.match(lines[first]) or _is_heading(lines[first]):
        return {}, first
    page: dict[str, str] = {}
    key = ""
    i = first
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        match = TITLE_KEY.match(line)
        if match and not line[:1].isspace():
            key = match.group(1).strip().casefold()
            page[key] = match.group(2).strip()
        elif key:
            page[key] = (page[key] + "\n" + line.strip()).strip()
        i += 1
    return page, i


def parse(text: str) -> Screenplay:
    """Read Fountain text. Raises InputError when no scene heading is found."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = NOTE.sub("", BONEYARD.sub(lambda m: "\n" * m.group().count("\n"), text))
    lines = text.split("\n")
    page, body = _title_page(lines)
    scenes: list[SceneText] = []
    for at, block in _blocks(lines, body):
        first = block[0].strip()
        if _is_heading(first):
            heading = first[1:] if first.startswith(".") else first
            number_match = SCENE_NUMBER.search(heading)
            heading = SCENE_NUMBER.sub("", heading).strip()
            previous = scenes[-1].number if scenes else 0
            number = previous + 1
            if number_match and number_match.group(1).isdigit():
                number = int(number_match.group(1))
            scenes.append(SceneText(number, heading, at=at))
            block = block[1:]
            at += 1
            if not block:
                continue
            first = block[0].strip()
        if not scenes or first.startswith(("#", "=", "~")) or _transition(first):
            continue
        scene = scenes[-1]
        if len(block) > 1 and _is_cue(first):
            speaker, extension = _cue(first)
            rest = [line.strip() for line in block[1:]]
            parenthetical = ""
            if len(rest) > 1 and rest[0].startswith("(") and rest[0].endswith(")"):
                parenthetical, rest = rest[0][1:-1].strip(), rest[1:]
            line = len(scene.dialogue()) + 1
            scene.elements.append(
                Dialogue(speaker, "\n".join(rest), parenthetical, extension, line, at)
            )
        else:
            action = "\n".join(_unforce(line) for line in block)
            scene.elements.append(Action(action, at))
    if not scenes:
        raise InputError(
            "does not look like a Fountain screenplay: no scene heading (INT./EXT. ...) found"
        )
    return Screenplay(page.get("title", "").strip(), scenes, page)


def _transition(line: str) -> bool:
    if line.startswith(">"):
        return not line.endswith("<")
    return line.endswith("TO:") and line == line.upper()


def _unforce(line: str) -> str:
    line = line.strip()
    if line.startswith(">") and line.endswith("<"):
        return line[1:-1].strip()
    return line[1:] if line.startswith("!") else line


# a room Script <-> a Screenplay ------------------------------------------------
def from_script(script: Script) -> Screenplay:
    scenes = []
    for s in script.scenes:
        elements: list[Action | Dialogue] = [Action(s.action)]
        elements += [
            Dialogue(line.speaker, line.text, line.parenthetical, line=i)
            for i, line in enumerate(s.lines, 1)
        ]
        scenes.append(SceneText(s.number, s.heading, elements))
    return Screenplay(script.title, scenes, {"episode": str(script.episode)})


def to_script(play: Screenplay, episode: int | None = None) -> Script:
    """The room's Script of a screenplay; speakers take the title page's spelling of names.

    Raises InputError when it does not fit a room script (its bounds keep episodes short).
    """
    names = {name.casefold(): name for name, _ in play.cast()}
    scenes = [
        {
            "number": s.number,
            "heading": s.heading,
            "action": "\n\n".join(e.text for e in s.elements if isinstance(e, Action)),
            "lines": [
                {
                    "speaker": names.get(d.speaker.casefold(), d.speaker.title()),
                    "text": d.text,
                    "parenthetical": d.parenthetical,
                }
                for d in s.dialogue()
            ],
        }
        for s in play.scenes
    ]
    data = {
        "episode": episode or play.episode() or 1,
        "title": play.title or "Untitled",
        "scenes": scenes,
    }
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"the screenplay does not fit a room script: {summarize(exc)}") from None


def _action_line(line: str) -> str:
    """An action line, forced with `!` where Fountain would read it as something else."""
    stripped = line.strip()
    special = stripped.startswith(("!", ".", "@", "#", "=", "~", ">", "[[", "/*"))
    if special or _is_heading(stripped) or _transition(stripped) or _is_cue(stripped):
        return "!" + line
    return line


def to_fountain(script: Script, cast: list[tuple[str, int | None]] | None = None) -> str:
    """Fountain text of a script, with its cast (name and age) on the title page."""
    known = {name.casefold() for name, _ in cast or []}
    cast = list(cast or []) + [
        (name, None) for name in sorted(script.speakers()) if name.casefold() not in known
    ]
    characters = ", ".join(f"{n} ({a})" if a else n for n, a in cast)
    out = [f"Title: {script.title}", f"Episode: {script.episode}", f"Characters: {characters}", ""]
    for scene in script.scenes:
        heading = scene.heading if HEADING.match(scene.heading) else "." + scene.heading
        out += [f"{heading} #{scene.number}#", ""]
        for paragraph in scene.action.split("\n\n"):
            out += [_action_line(line) for line in paragraph.split("\n")]
            out.append("")
        for line in scene.lines:
            cue = line.speaker.upper()
            plain = _is_cue(cue) and not _is_heading(cue) and not cue.startswith("@")
            out.append(cue if plain else "@" + line.speaker)
            if line.parenthetical:
                out.append(f"({line.parenthetical})")
            out += [line.text, ""]
    return "\n".join(out)


def read_script_file(path: Path) -> Screenplay:
    """Read and parse a Fountain file, refusing what is not one with a one-line reason."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path} is empty: give a Fountain screenplay")
    if size > MAX_SCRIPT_BYTES:
        raise InputError(
            f"{path} is {size / 1e6:.1f} MB; a script to check must be under "
            f"{MAX_SCRIPT_BYTES / 1e6:.0f} MB (one episode or film)"
        )
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(f"{path} is a binary file, not a Fountain screenplay")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save the screenplay as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path} is empty: give a Fountain screenplay")
    try:
        return parse(text)
    except InputError as exc:
        raise InputError(f"{path} {exc}") from None
