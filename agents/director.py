"""The director: breaks the approved script into a 9:16 shot list."""

from __future__ import annotations

from writersroom.agents._drafts import numbered, remembered
from writersroom.room.answers import with_choices
from writersroom.room.context import Room
from writersroom.room.prompting import compact
from writersroom.schemas import Script, SeriesBible, ShotList

AGENT = "director"


def plan_shots(room: Room, bible: SeriesBible, script: Script, runtime: int) -> ShotList:
    """The shot list; a dialogue line no shot claims goes to the last shot of its scene, and a
    shot too short for its lines is lengthened to fit them."""

    def check(shots: ShotList) -> None:
        shots.number_lines_within_scenes(script)
        shots.check_against(script, bible)

    cast = [c.name for c in bible.characters]
    shots = room.ask(
        AGENT,
        "plan_shots",
        ShotList,
        check,
        json_schema=with_choices(ShotList.model_json_schema(), "Shot", "characters", cast),
        cast=compact([{"name": c.name, "look": c.look} for c in bible.characters]),
        script=numbered(script),
        memory=remembered(room, numbered(script)),
        runtime=str(runtime),
    )
    shots.cover_lines(script)
    shots.fit_dialogue(script)
    return shots
