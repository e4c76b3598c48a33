"""The screenwriter: writes and revises an episode's script from its outline."""

from __future__ import annotations

from writersroom.agents._drafts import dump, remembered, revision_request
from writersroom.answers import with_choices
from writersroom.room import Room
from writersroom.schemas import EpisodeOutline, Script, SeriesBible

AGENT = "screenwriter"


def write_script(
    room: Room,
    bible: SeriesBible,
    outline: EpisodeOutline,
    notes: str = "",
    previous: Script | None = None,
) -> Script:
    def check(script: Script) -> None:
        script.check_cast(bible)
        if script.episode != outline.number:
            raise ValueError(
                f"this is the script of episode {outline.number}, not {script.episode}"
            )

    cast = [c.name for c in bible.characters]
    return room.ask(
        AGENT,
        "write_script",
        Script,
        check,
        json_schema=with_choices(Script.model_json_schema(), "Line", "speaker", cast),
        cast=", ".join(cast),
        bible=dump(bible),
        outline=dump(outline),
        memory=remembered(room, dump(outline)),
        number=str(outline.number),
        revision=revision_request(notes, previous),
    )
