"""The screenwriter: writes and revises an episode's script from its outline.

On a model that writes screenplay text (`AgentModel.writes_screenplay`, the embedded default),
the script is written scene by scene from the outline's beats, each scene read leniently into
the schema and refused when it repeats an earlier one; other models answer with one structured
`Script`.
"""

from __future__ import annotations

import re

from writersroom.agents._drafts import dump, language, remembered, revision_request
from writersroom.continuity import quality
from writersroom.room import prompting
from writersroom.room.answers import with_choices
from writersroom.room.context import Room
from writersroom.schemas import Beat, EpisodeOutline, Scene, Script, SeriesBible
from writersroom.screenplay import prose
from writersroom.speech import TOKEN, spoken_seconds

AGENT = "screenwriter"
OPEN_ON = "Open on the hook:"
OPEN_FAST = "One short sentence of action, then the first line at once."
END_ON = "End the scene on the cliffhanger:"
OPEN_MARKS = ("?", "!", "…", "...", "—", "--", "？", "！")  # a line that ends open
OPENING_SECONDS = 5.0  # scene 1's action before anyone speaks, read aloud: the hook lands in 5 s
CLAUSE_END = re.compile(r"\s*[,;:—–，；：、]\s*")  # where a clause ends inside a sentence
SO_FAR = "The scenes so far:"
NOTES = "Notes on the previous draft, to address now:"
SCENE_TOKENS = 450  # a scene of a vertical drama: a heading, an action and up to eight lines
NEXT_SCENE = ["\nINT.", "\nEXT.", "\nINT ", "\nEXT ", "\n内景", "\n外景"]


def write_script(
    room: Room,
    bible: SeriesBible,
    outline: EpisodeOutline,
    notes: str = "",
    previous: Script | None = None,
    rewrite: frozenset[int] = frozenset(),
) -> Script:
    """The episode's script; a revision on notes rewrites the scenes in `rewrite` and keeps
    the previous draft's others (a model that writes the whole script at once rewrites it
    all, told the notes)."""

    def check(script: Script) -> None:
        script.check_cast(bible)
        if script.episode != outline.number:
            raise ValueError(
                f"this is the script of episode {outline.number}, not {script.episode}"
            )

    if room.models.for_agent(AGENT).writes_screenplay:
        script = _write_scenes(room, bible, outline, notes, previous, rewrite)
        check(script)
        return script
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


def _write_scenes(
    room: Room,
    bible: SeriesBible,
    outline: EpisodeOutline,
    notes: str,
    previous: Script | None,
    rewrite: frozenset[int],
) -> Script:
    """Each scene from its beats, after what the scenes so far covered (the shared prefix);
    in a revision of some scenes, the others as the previous draft had them.

    A scene is rewritten afresh, told the notes but not shown its previous words: shown them,
    the embedded model wrote them again (of 94 lines in 16 rewritten scenes of the smoke runs,
    64 came back word for word, and a monologue the notes named stood through two rounds)."""
    cast = [c.name for c in bible.characters]
    characters = "\n".join(f"- {c.name}: {c.role}, {c.age}. {c.arc}" for c in bible.characters)
    plan = prose.scene_beats(outline)
    memory = remembered(room, dump(outline))
    kept = {s.number: s for s in previous.scenes} if previous and notes and rewrite else {}
    scenes: list[Scene] = []
    for number, beats in enumerate(plan, 1):
        if number in kept and number not in rewrite:
            scenes.append(kept[number])
            continue
        earlier = list(scenes)
        so_far = _so_far(scenes, plan)
        asked = "\n".join(  # what an answer must not echo (the earlier scenes' summary too)
            [
                prompting.instructions("write_scene"),
                f"Now write scene {number} of {len(plan)} only.",
                OPEN_ON,
                OPEN_FAST,
                END_ON,
                so_far or SO_FAR,
                NOTES,
            ]
        )

        told = prose.beats_told(beats)

        def read(
            text: str,
            number: int = number,
            earlier: list[Scene] = earlier,
            asked: str = asked,
            told: str = told,
        ) -> Scene:
            place = earlier[-1].heading if earlier else ""
            scene = prose.read_scene(text, number, cast, place, told)
            scene = _introduced_once(quality.without_echoes(scene, asked, told), earlier)
            if number == 1:
                scene = _open_fast(scene)
            if number == len(plan):
                scene = _end_open(scene, outline.cliffhanger)
            problems = quality.scene_problems(scene, earlier)
            if problems:
                raise ValueError("; ".join(map(str, problems)))
            return scene

        duty = ""
        if number == 1:
            duty = f"{OPEN_ON} {outline.hook} {OPEN_FAST}"
        if number == len(plan):
            duty += f" {END_ON} {outline.cliffhanger}"
        scenes.append(
            room.write(
                AGENT,
                "write_scene",
                read,
                what=f"scene {number}",
                stop=NEXT_SCENE,
                max_tokens=SCENE_TOKENS,
                series=bible.title,
                logline=bible.logline,
                characters=characters,
                number=str(outline.number),
                title=outline.title,
                hook=outline.hook,
                cliffhanger=outline.cliffhanger,
                memory=memory,
                so_far=so_far,
                revision=f"{NOTES}\n{notes}\n\n" if notes else "",
                scene=str(number),
                scenes=str(len(plan)),
                beats=told,
                duty=duty.strip(),
                language=language(bible.logline),
            )
        )
    return Script(episode=outline.number, title=outline.title, scenes=scenes)


def _introduced_once(scene: Scene, earlier: list[Scene]) -> Scene:
    """The scene's action with the speakers of earlier scenes named as the cast spells them,
    not in capitals: a screenplay introduces a character in capitals once (the embedded model
    wrote "ALICE smiles warmly" in a second scene's action, after Alice had spoken)."""
    action = scene.action
    for speaker in {line.speaker for s in earlier for line in s.lines}:
        for part in speaker.split():
            if part.upper() != part:
                action = re.sub(rf"\b{re.escape(part.upper())}\b", part, action)
    return scene.model_copy(update={"action": action})


def _open_fast(scene: Scene) -> Scene:
    """The opening scene with its action held to the sentences that are read within
    `OPENING_SECONDS` (the first one at least): a small model opens on a paragraph of scene
    setting, and a vertical drama's first line must come within seconds."""
    kept: list[str] = []
    for sentence in filter(str.strip, quality.SENTENCE.split(scene.action)):
        if kept and spoken_seconds(" ".join([*kept, sentence])) > OPENING_SECONDS:
            break
        kept.append(sentence.strip())
    if kept and spoken_seconds(kept[0]) > OPENING_SECONDS:
        kept = [_first_clauses(kept[0])]
    return scene.model_copy(update={"action": " ".join(kept)})


def _first_clauses(sentence: str) -> str:
    """A first sentence that runs past `OPENING_SECONDS`, held to the clauses read within them
    (four words at least), a stop put after them: "Lily enters the venue with a confident
    demeanor, her eyes darting around at the guests as she approaches." ends at "demeanor."."""
    for found in reversed(list(CLAUSE_END.finditer(sentence))):
        head = sentence[: found.start()].rstrip()
        if spoken_seconds(head) <= OPENING_SECONDS and len(TOKEN.findall(head)) >= 4:
            return prose.ended(head)
    return sentence


def _end_open(scene: Scene, cliffhanger: str) -> Scene:
    """The closing scene cut on its last open line (a question, an outcry, a line broken off)
    in its second half: a small model talks the cliffhanger down ("Sounds like a plan."), and
    an episode ends on the open moment. Kept whole where the lines after it say something of
    the outline's cliffhanger, or where fewer than two speakers would be left."""
    lines = scene.lines
    for end in range(len(lines), len(lines) // 2, -1):
        if lines[end - 1].text.rstrip().endswith(OPEN_MARKS):
            after = " ".join(line.text for line in lines[end:])
            if quality.overlap(after, cliffhanger) or len({x.speaker for x in lines[:end]}) < 2:
                break
            return scene.model_copy(update={"lines": lines[:end]})
    return scene


def _so_far(scenes: list[Scene], plan: list[list[Beat]]) -> str:
    """The scenes written so far: where each is, who speaks in it and what it covered, not its
    words (a small model given an earlier scene's text writes it again as the next one)."""
    if not scenes:
        return ""
    told = []
    for scene, beats in zip(scenes, plan, strict=False):
        speakers = ", ".join(dict.fromkeys(line.speaker for line in scene.lines))
        covered = prose.beats_told(beats)
        told.append(
            f"- Scene {scene.number}, set at {scene.heading}, where {speakers} spoke: {covered}"
        )
    return f"{SO_FAR}\n" + "\n".join(told) + "\n\n"
