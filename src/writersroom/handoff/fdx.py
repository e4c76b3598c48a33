"""Reading Final Draft (.fdx) files into the room's `Screenplay`, as the Fountain reader does.

A Final Draft document is XML: `<FinalDraft><Content>` holds one `<Paragraph Type="...">` per
element (Scene Heading, Action, Character, Parenthetical, Dialogue, Transition, ...), its
words in `<Text>` runs; the title page (`<TitlePage>`) has paragraphs of its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from writersroom.errors import InputError
from writersroom.screenplay.fountain import (
    MAX_SCRIPT_BYTES,
    Action,
    Dialogue,
    SceneText,
    Screenplay,
)

EXTENSION = re.compile(r"\s*\(([^()]*)\)\s*$")


def _text(paragraph: ET.Element) -> str:
    return "".join(run.text or "" for run in paragraph.iter("Text")).strip()


def _title(root: ET.Element) -> str:
    page = root.find("TitlePage")
    if page is None:
        return ""
    for paragraph in page.iter("Paragraph"):
        if text := _text(paragraph):
            return " ".join(text.split())
    return ""


def parse(data: bytes, name: str) -> Screenplay:
    """A Final Draft document's scenes; InputError when it is not one or holds no scene."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"{name} is not a readable Final Draft file ({exc})") from None
    if root.tag != "FinalDraft" or root.find("Content") is None:
        raise InputError(f"{name} is XML but not a Final Draft script (no <FinalDraft><Content>)")
    scenes: list[SceneText] = []
    speaker: Dialogue | None = None
    for paragraph in root.find("Content").iter("Paragraph"):  # type: ignore[union-attr]
        kind, text = paragraph.get("Type", "Action"), _text(paragraph)
        if kind == "Scene Heading":
            scenes.append(SceneText(len(scenes) + 1, " ".join(text.split())))
            speaker = None
            continue
        if not text or not scenes:
            continue
        scene = scenes[-1]
        if kind == "Character":
            match = EXTENSION.search(text)
            name_only = EXTENSION.sub("", text).strip()
            speaker = Dialogue(name_only, "", extension=match.group(1) if match else "")
        elif kind == "Parenthetical" and speaker is not None:
            speaker.parenthetical = text.strip("()").strip()
        elif kind == "Dialogue" and speaker is not None:
            if speaker.text:
                speaker.text += "\n" + text
            else:
                speaker.text = text
                speaker.line = len(scene.dialogue()) + 1
                scene.elements.append(speaker)
        elif kind in ("Action", "General", "Shot"):
            scene.elements.append(Action(text))
            speaker = None
    if not scenes:
        raise InputError(f"{name} has no scene in it: a script needs a Scene Heading")
    return Screenplay(_title(root), scenes, {})


def read_fdx_file(path: Path) -> Screenplay:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path} is empty: give a Final Draft script")
    if size > MAX_SCRIPT_BYTES:
        raise InputError(f"{path} is {size / 1e6:.1f} MB; one episode's script is far smaller")
    return parse(path.read_bytes(), str(path))
