"""`writersroom import SCRIPT`: an episode written elsewhere, brought into a series.

The script (Fountain or Final Draft) becomes the room's `Script`; its speakers are matched
against the bible (by full name, or by a name that only one character carries, e.g. MEI for
Lin Mei). Speakers the bible lacks stop the import with the list of them, unless `--add-cast`
proposes them as new characters (a new revision of the bible, by the person). The episode then
starts in the room at `check_continuity`, with an outline drawn from the script: the rules and
the continuity agent check it, the editor critiques it without sending it back for rewriting,
and it waits at `approve_script`; shots and production follow as for any episode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.types import Command
from pydantic import ValidationError

from writersroom.errors import InputError
from writersroom.handoff.fdx import read_fdx_file
from writersroom.memory import EpisodeStatus, Memory
from writersroom.room.answers import summarize
from writersroom.room.checkpoints import BIBLE_EPISODE
from writersroom.schemas import Character, EpisodeOutline, Script, SeriesBible
from writersroom.screenplay import fountain
from writersroom.speech import spoken_seconds

FOUNTAIN_SUFFIXES = (".fountain", ".spmd", ".txt")
ACTION_SECONDS = 4  # a scene's action on screen, before and between its lines
DEFAULT_AGE = 30
SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


@dataclass
class Imported:
    episode: int
    script: Script
    added: list[str]


def read_script(path: Path, episode: int) -> tuple[Script, list[tuple[str, int | None]]]:
    """The room's Script of a Fountain or Final Draft file, and the cast its title page names."""
    suffix = path.suffix.lower()
    if suffix in FOUNTAIN_SUFFIXES:
        play = fountain.read_script_file(path)
    elif suffix == ".fdx":
        play = read_fdx_file(path)
    else:
        raise InputError(
            f"{path}: unknown script format {suffix or '(no extension)'!r}; "
            "import a Fountain (.fountain) or Final Draft (.fdx) file"
        )
    for scene in play.scenes:  # a scene without action: its heading says where we are
        if not any(isinstance(e, fountain.Action) and e.text.strip() for e in scene.elements):
            scene.elements.insert(0, fountain.Action(scene.heading))
    if not play.title:
        play.title = path.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
    try:
        script = fountain.to_script(play, episode)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return script.model_copy(update={"episode": episode}), play.cast()


def _display(name: str) -> str:
    """A name as the bible writes it: JIANG HE becomes Jiang He; mixed case stays."""
    return name.title() if name.isupper() else name


def match_cast(script: Script, bible: SeriesBible) -> tuple[dict[str, str], list[str]]:
    """Each speaker's bible name, and the speakers no character answers to."""
    tokens: dict[str, list[str]] = {}
    for character in bible.characters:
        for token in character.name.casefold().split():
            tokens.setdefault(token, []).append(character.name)
    names, missing = {}, []
    for speaker in sorted(script.speakers()):
        found = bible.character(speaker)
        if found is not None:
            names[speaker] = found.name
        elif len(owners := tokens.get(speaker.casefold(), [])) == 1:
            names[speaker] = owners[0]
        else:
            missing.append(speaker)
    return names, missing


def _renamed(script: Script, names: dict[str, str]) -> Script:
    data = script.model_dump(mode="json")
    for scene in data["scenes"]:
        for line in scene["lines"]:
            line["speaker"] = names.get(line["speaker"], line["speaker"])
    return Script.model_validate(data)


def described(name: str, script: Script) -> str:
    """The first sentence of the script's action that names the character (a first look for
    the storyboard), else a placeholder."""
    for scene in script.scenes:
        for sentence in SENTENCE.split(" ".join(scene.action.split())):
            if name.casefold() in sentence.casefold():
                return sentence[:600]
    return f"{name} as the imported script describes them"


def proposed_character(name: str, age: int | None, script: Script) -> Character:
    return Character(
        name=name,
        role="from an imported script",
        age=age or DEFAULT_AGE,
        look=described(name, script),
        voice="as the imported script suggests",
        arc=f"{name} enters the series in an imported episode",
    )


def add_to_bible(memory: Memory, bible: SeriesBible, new: list[Character]) -> SeriesBible:
    """The bible with `new` characters, as a new revision by the person; the characters kept
    so far (their seeds and voices) stay as they are."""
    grown = bible.model_copy(update={"characters": [*bible.characters, *new]})
    content = grown.model_dump(mode="json")
    revision = max(memory.revisions(BIBLE_EPISODE, "bible"), default=0) + 1
    memory.save_draft(BIBLE_EPISODE, "bible", revision, content, "person", "import")
    with memory.db.conn:
        memory.db.table("series").update(1, {"bible": json.dumps(content)})
        for character in new:
            record = character.model_dump(mode="json")
            record["secrets"] = "[]"
            memory.db.table("characters").insert(record, pk="name", alter=True, replace=True)
    return grown


def first_sentence(text: str) -> str:
    return SENTENCE.split(" ".join(text.split()), maxsplit=1)[0][:600]


def outline_of(script: Script) -> EpisodeOutline:
    """An outline drawn from the script: a beat per scene at its estimated time, the hook
    from the first scene, the cliffhanger from the last."""
    beats: list[dict[str, Any]] = []
    clock = 0.0
    for scene in script.scenes:
        beats.append({"at_seconds": round(clock), "description": first_sentence(scene.action)})
        clock += ACTION_SECONDS + sum(spoken_seconds(line.text) + 0.5 for line in scene.lines)
    if len(beats) == 1:
        beats.append({"at_seconds": round(clock), "description": "The episode ends."})
    last = script.scenes[-1]
    ending = last.lines[-1].text if last.lines else last.action
    runtime = min(300, max(30, round(clock), beats[-1]["at_seconds"]))
    for beat in beats:
        beat["at_seconds"] = min(beat["at_seconds"], runtime)
    middle = script.scenes[len(script.scenes) // 2]
    try:
        return EpisodeOutline.model_validate(
            {
                "number": script.episode,
                "title": script.title,
                "hook": first_sentence(script.scenes[0].action),
                "beats": beats[:12],
                "reversal": first_sentence(middle.action),
                "cliffhanger": first_sentence(ending),
                "target_runtime_seconds": runtime,
            }
        )
    except ValidationError as exc:
        raise InputError(f"no outline can be drawn from the script: {summarize(exc)}") from None


def missing_message(path: Path, missing: list[str], bible: SeriesBible) -> str:
    cast = ", ".join(c.name for c in bible.characters)
    return (
        f"{path}: {len(missing)} speaker(s) are not in the bible: {', '.join(missing)} "
        f"(the cast: {cast}). Rename them in the script to the bible's names, or import with "
        "--add-cast to add them to the bible as new characters"
    )


def prepare(
    path: Path, memory: Memory, episode: int | None, add_cast: bool
) -> tuple[Imported, dict[str, Any]]:
    """Check the script against the series and write what the episode starts with; returns
    the import and the graph state it starts in."""
    data = memory.bible()
    if data is None:
        raise InputError(
            "this series has no approved bible yet: approve it first (`writersroom status`)"
        )
    bible = SeriesBible.model_validate(data)
    numbers = [e["number"] for e in memory.episodes()]
    number = episode or max(numbers, default=0) + 1
    if number in numbers:
        raise InputError(
            f"episode {number} already exists; import as another with --episode "
            f"(the next free one is {max(numbers) + 1})"
        )
    script, title_cast = read_script(path, number)
    names, missing = match_cast(script, bible)
    if missing and not add_cast:
        raise InputError(missing_message(path, missing, bible))
    ages = {name.casefold(): age for name, age in title_cast}
    new = [proposed_character(_display(s), ages.get(s.casefold()), script) for s in missing]
    names |= {s: c.name for s, c in zip(missing, new, strict=True)}
    script = _renamed(script, names)
    outline = outline_of(script)  # everything checked before anything is written
    if new:
        bible = add_to_bible(memory, bible, new)
    memory.save_draft(number, "outline", 1, outline.model_dump(mode="json"), "person", "import")
    memory.save_draft(number, "script", 1, script.model_dump(mode="json"), "person", "import")
    memory.upsert_episode(
        number,
        title=script.title,
        outline=outline.model_dump(mode="json"),
        status=EpisodeStatus.IN_PROGRESS,
    )
    memory.set_current_episode(number)
    series = memory.series() or {}
    state = {
        "premise": series.get("premise", ""),
        "episode": number,
        "bible": bible.model_dump(mode="json"),
        "outline": outline.model_dump(mode="json"),
        "script": script.model_dump(mode="json"),
        "revisions": {"outline": 1, "script": 1},
        "notes": "",
    }
    return Imported(number, script, [c.name for c in new]), state


def start_command(state: dict[str, Any], review_rounds: int) -> Command:
    """Start the episode's thread at `check_continuity`; the editor's rounds count as spent,
    so the writer's script is critiqued, never rewritten by the screenwriter."""
    return Command(goto="check_continuity", update=state | {"review_round": review_rounds})
