"""The director: breaks the approved script into a 9:16 shot list."""

from __future__ import annotations

from writersroom.agents._drafts import numbered, remembered
from writersroom.room.answers import with_choices
from writersroom.room.context import Room
from writersroom.room.prompting import compact
from writersroom.schemas import Script, SeriesBible, ShotList

AGENT = "director"


def plan_shots(room: Room, bible: SeriesBible, script: Script, runtime: int) -> ShotList:
    """The shot list; a scene no shot shows gets a plain shot of its own, a line that several
    shots claim stays in the first, a shot without lines that repeats an earlier one of its
    scene is left out, a dialogue line no shot claims goes to the last shot of its scene, a
    shot that shows nobody while lines are spoken in it shows their speakers, and a shot too
    short for its lines is lengthened to fit them. The schema asks for a shot a scene at
    least, in the script's scenes."""

    def check(shots: ShotList) -> None:
        shots.number_lines_within_scenes(script)
        shots.claim_lines_once()
        shots.drop_silent_repeats()
        shots.cover_scenes(script)
        shots.check_against(script, bible)

    cast = [c.name for c in bible.characters]
    schema = with_choices(ShotList.model_json_schema(), "Shot", "characters", cast)
    scenes = [scene.number for scene in script.scenes]
    bound = schema["properties"]["shots"]
    bound["minItems"] = min(len(scenes), bound["maxItems"])
    shot = schema["$defs"]["Shot"]
    shot["properties"]["scene"] = {"type": "integer", "enum": scenes}
    shot["required"] = [*shot["required"], "characters", "lines"]  # not only in the prompt
    shots = room.ask(
        AGENT,
        "plan_shots",
        ShotList,
        check,
        json_schema=schema,
        cast=compact([{"name": c.name, "look": c.look} for c in bible.characters]),
        script=numbered(script),
        memory=remembered(room, numbered(script)),
        runtime=str(runtime),
    )
    shots.cover_lines(script)
    shots.show_speakers(script)
    shots.fit_dialogue(script)
    return shots
