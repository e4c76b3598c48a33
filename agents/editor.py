"""The editor: scores a script draft and sends it back with notes or passes it on."""

from __future__ import annotations

from writersroom.agents._drafts import dump, remembered
from writersroom.room.context import Room
from writersroom.schemas import ContinuityReport, Critique, EpisodeOutline, Script

AGENT = "editor"


def review_script(
    room: Room, outline: EpisodeOutline, script: Script, continuity: ContinuityReport
) -> Critique:
    return room.ask(
        AGENT,
        "review_script",
        Critique,
        outline=dump(outline),
        script=dump(script),
        continuity=dump(continuity),
        memory=remembered(room, dump(script)),
    )
