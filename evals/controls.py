"""Broken copies of a script, for negative controls and the judge's perturbation check.

Each perturbation damages one thing a reader notices: scenes out of order, a scene played
twice, the ending cut off, two speakers' lines swapped. Scripts are plain dicts in the room's
Script shape (`title`, `scenes` of `number`, `heading`, `action`, `lines` of `speaker`, `text`).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from typing import Any

from writersroom.screenplay import fountain
from writersroom.screenplay.fountain import Action, Screenplay

Script = dict[str, Any]


def from_screenplay(play: Screenplay) -> Script:
    """A screenplay as a script dict (any length: no room bounds)."""
    return {
        "title": play.title or "Untitled",
        "episode": 1,
        "scenes": [
            {
                "number": i,
                "heading": s.heading,
                "action": "\n\n".join(e.text for e in s.elements if isinstance(e, Action)),
                "lines": [
                    {"speaker": d.speaker, "text": d.text, "parenthetical": d.parenthetical}
                    for d in s.dialogue()
                ],
            }
            for i, s in enumerate(play.scenes, 1)
        ],
    }


def from_fountain(text: str) -> Script:
    return from_screenplay(fountain.parse(text))


def _renumber(scenes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s | {"number": i} for i, s in enumerate(scenes, 1)]


def shuffled(script: Script, rng: random.Random) -> Script:
    """The scenes in another order (never the same order; the first scene moves)."""
    scenes = copy.deepcopy(script["scenes"])
    if len(scenes) < 2:
        return copy.deepcopy(script)
    order = list(range(len(scenes)))
    while order[0] == 0:
        rng.shuffle(order)
    return script | {"scenes": _renumber([scenes[i] for i in order])}


def duplicated(script: Script, rng: random.Random) -> Script:
    """One scene played twice: a copy right after itself (the longest one, or a random one)."""
    scenes = copy.deepcopy(script["scenes"])
    if not scenes:
        return copy.deepcopy(script)
    i = max(range(len(scenes)), key=lambda k: len(scenes[k].get("lines", [])))
    if rng.random() < 0.5:
        i = rng.randrange(len(scenes))
    return script | {
        "scenes": _renumber([*scenes[: i + 1], copy.deepcopy(scenes[i]), *scenes[i + 1 :]])
    }


def no_ending(script: Script, rng: random.Random) -> Script:
    """The last third of the scenes cut off (at least one), and the last scene's final line."""
    scenes = copy.deepcopy(script["scenes"])
    keep = max(1, len(scenes) - max(1, len(scenes) // 3))
    scenes = scenes[:keep]
    if len(scenes[-1].get("lines", [])) > 1:
        scenes[-1]["lines"] = scenes[-1]["lines"][:-1]
    return script | {"scenes": scenes}


def swapped_speakers(script: Script, rng: random.Random) -> Script:
    """The two most frequent speakers' names swapped on every line they speak."""
    scenes = copy.deepcopy(script["scenes"])
    counts: dict[str, int] = {}
    for s in scenes:
        for line in s.get("lines", []):
            counts[line["speaker"]] = counts.get(line["speaker"], 0) + 1
    top = sorted(counts, key=lambda k: -counts[k])[:2]
    if len(top) < 2:
        return copy.deepcopy(script)
    a, b = top
    for s in scenes:
        for line in s.get("lines", []):
            if line["speaker"] in (a, b):
                line["speaker"] = b if line["speaker"] == a else a
    return script | {"scenes": scenes}


PERTURBATIONS: dict[str, Callable[[Script, random.Random], Script]] = {
    "shuffled": shuffled,
    "duplicated": duplicated,
    "no_ending": no_ending,
    "swapped_speakers": swapped_speakers,
}


CAPS_NAME = re.compile(r"\b([A-Z][A-Z'\-]+(?:\s+[A-Z][A-Z'\-]+){0,2})\b")


def introductions_out_of_order(script: Script) -> int:
    """Characters named before they are introduced: screenplays introduce a character once, in
    capitals in the action, before anyone speaks as them or about them; scenes out of order
    put mentions or lines ahead of that introduction."""
    introduced: dict[str, int] = {}
    scenes = script.get("scenes", [])
    for index, scene in enumerate(scenes):
        for m in CAPS_NAME.finditer(scene.get("action", "")):
            introduced.setdefault(m.group(1).casefold(), index)
    late = 0
    for name, at in introduced.items():
        if len(name) < 3 or not any(
            line.get("speaker", "").casefold() == name
            for s in scenes
            for line in s.get("lines", [])
        ):
            continue  # only the cast: capitals also mark sounds and props
        first = next(
            (
                i
                for i, s in enumerate(scenes)
                if any(line.get("speaker", "").casefold() == name for line in s.get("lines", []))
                or re.search(rf"\b{re.escape(name)}\b", s.get("action", "").casefold())
            ),
            at,
        )
        late += first < at
    return late
