"""What every agent's prompt shares: compact drafts and the revision request."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel

from writersroom.memory.facts import Facts, recall
from writersroom.room.context import Room
from writersroom.room.prompting import compact
from writersroom.schemas import Script
from writersroom.screenplay import fountain
from writersroom.speech import CJK


def language(text: str) -> str:
    """The instruction that keeps a draft in `text`'s language: small models drift to English."""
    letters = [c for c in text if c.isalpha()]
    if not letters or len(CJK.findall(text)) <= len(letters) / 2:
        return ""
    if re.search(r"[\u3040-\u30ff]", text):
        return "Write everything in Japanese (日本語): names, descriptions and dialogue."
    if re.search(r"[\uac00-\ud7af]", text):
        return "Write everything in Korean (한국어): names, descriptions and dialogue."
    return "Write everything in Chinese (简体中文): names, descriptions and dialogue."


def scene_text(play: fountain.Screenplay, scenes: list[fountain.SceneText] | None = None) -> str:
    """Scenes (default: all of them) as agents read them, each scene's dialogue lines numbered
    from 1 as shots and issues refer to them, speakers spelled as the title page's cast."""
    names = {name.casefold(): name for name, _ in play.cast()}
    return compact(
        [
            {
                "scene": s.number,
                "heading": s.heading,
                "action": "\n".join(e.text for e in s.elements if isinstance(e, fountain.Action)),
                "lines": {
                    str(i): f"{names.get(d.speaker.casefold(), d.speaker)}: {d.text}"
                    for i, d in enumerate(s.dialogue(), 1)
                },
            }
            for s in (play.scenes if scenes is None else scenes)
        ]
    )


def numbered(script: Script) -> str:
    """The script with each scene's dialogue lines numbered from 1, as shots refer to them."""
    return scene_text(fountain.from_script(script))


def dump(model: BaseModel | None) -> str:
    return compact(model.model_dump(mode="json")) if model is not None else ""


def revision_request(notes: str, previous: BaseModel | None) -> str:
    """The part of a prompt that asks to revise a draft, or nothing for a first draft."""
    if not notes and previous is None:
        return ""
    text = "\nRevise the previous draft."
    if previous is not None:
        text += f"\nPrevious draft:\n{dump(previous)}"
    if notes:
        text += f"\nNotes to address:\n{notes}"
    return text


def earlier(summaries: list[dict]) -> str:
    if not summaries:
        return "(this is the first episode)"
    return "\n".join(f'Episode {s["number"]} "{s["title"]}": {s["summary"]}' for s in summaries)


def remembered(room: Room, about: str) -> str:
    """The slice of series memory for this episode's prompt: who `about` names, their latest
    facts, the open threads and the last cliffhanger, within the configured token budget."""
    bible = room.memory.bible()
    if bible is None:
        return "(no series memory yet)"
    previous = room.memory.episode(room.episode - 1)
    outline = json.loads(previous["outline"]) if previous and previous["outline"] else {}
    return recall(
        Facts(room.memory.db),
        [c["name"] for c in bible["characters"]],
        room.episode,
        about,
        room.config.memory.prompt_tokens,
        outline.get("cliffhanger", ""),
    )
