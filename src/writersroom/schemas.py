"""The room's domain: every draft an agent writes and every decision a person makes.

Bounds on lists and strings keep a small local model's constrained output finite; the
cross-checks (speakers are characters, scene numbers are unique, ...) live on the model
that can see both sides.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from writersroom.limits import MAX_JSON_DEPTH, MAX_NOTES_CHARS, depth
from writersroom.speech import shot_seconds

MAX_PREMISE_CHARS = 2000

MAX_TEXT = 600
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class Premise(BaseModel):
    """A one-line idea for a series."""

    text: str

    @field_validator("text")
    @classmethod
    def _one_clean_line(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the premise is empty: give one line describing the series")
        if len(value) > MAX_PREMISE_CHARS:
            raise ValueError(
                f"the premise is {len(value):,} characters; keep it under "
                f"{MAX_PREMISE_CHARS:,} (one or two sentences)"
            )
        bad = sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) == "Cc"})
        if bad:
            raise ValueError(f"the premise contains control characters ({', '.join(bad)})")
        return value


class Character(BaseModel):
    """A member of the cast, as the whole room must keep them."""

    name: Name
    role: Name = Field(description="protagonist, antagonist, love interest, ...")
    age: int = Field(ge=1, le=120)
    look: Text = Field(description="face, build, costume: what a camera sees in every shot")
    voice: Text = Field(description="how they sound: pitch, pace, accent")
    arc: Text
    secrets: list[Text] = Field(default_factory=list, max_length=3)


class EpisodeLogline(BaseModel):
    number: int = Field(ge=1)
    logline: Text


class SeriesBible(BaseModel):
    """The series bible: world, cast and the season arc."""

    title: Name
    logline: Text
    genre: Name
    tone: Text
    world: Text
    characters: list[Character] = Field(min_length=2, max_length=8)
    season_arc: list[EpisodeLogline] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _unique_names(self) -> SeriesBible:
        names = [c.name.casefold() for c in self.characters]
        if len(names) != len(set(names)):
            raise ValueError("two characters share a name; every character needs their own")
        return self

    def character(self, name: str) -> Character | None:
        key = name.strip().casefold()
        return next((c for c in self.characters if c.name.casefold() == key), None)


class Beat(BaseModel):
    at_seconds: int = Field(ge=0, le=600, description="when the beat lands in the episode")
    description: Text


class EpisodeOutline(BaseModel):
    """One episode's shape: a hook in the first seconds, a reversal, a cliffhanger."""

    number: int = Field(ge=1)
    title: Name
    hook: Text = Field(description="what grabs the viewer in the first 3-5 seconds")
    beats: list[Beat] = Field(min_length=2, max_length=12)
    reversal: Text
    cliffhanger: Text
    target_runtime_seconds: int = Field(ge=30, le=300)

    @model_validator(mode="after")
    def _beats_fit_runtime(self) -> EpisodeOutline:
        """Beats in time order; beats that run past the target runtime are fitted into it, their
        times scaled (the embedded model counted its beats in tens of seconds up to 130-140 s of
        a 90 s episode in three answers running, and its run ended)."""
        times = [b.at_seconds for b in self.beats]
        if times != sorted(times):
            raise ValueError("beats must be in time order")
        if times[-1] > self.target_runtime_seconds:
            scale = self.target_runtime_seconds / times[-1]
            for beat in self.beats:
                beat.at_seconds = round(beat.at_seconds * scale)
        return self


class Line(BaseModel):
    speaker: Name
    text: Text
    parenthetical: str = Field(default="", max_length=80)


class Scene(BaseModel):
    number: int = Field(ge=1)
    heading: Text = Field(description="INT./EXT. PLACE - DAY/NIGHT")
    action: Text
    lines: list[Line] = Field(max_length=10)


class Script(BaseModel):
    """An episode's screenplay."""

    episode: int = Field(ge=1)
    title: Name
    scenes: list[Scene] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _scene_numbers_unique(self) -> Script:
        numbers = [s.number for s in self.scenes]
        if len(numbers) != len(set(numbers)):
            raise ValueError("scene numbers must be unique")
        return self

    def speakers(self) -> set[str]:
        return {line.speaker for scene in self.scenes for line in scene.lines}

    def check_cast(self, bible: SeriesBible) -> None:
        """Raise ValueError naming every speaker who is not a character of the bible."""
        unknown = sorted(s for s in self.speakers() if bible.character(s) is None)
        if unknown:
            cast = ", ".join(c.name for c in bible.characters)
            raise ValueError(
                f"speakers not in the bible: {', '.join(unknown)} (the cast is: {cast})"
            )


# An enum rather than a range: a grammar-constrained model can only write one of these.
Score = Literal[1, 2, 3, 4, 5]


PASSING = 3  # the lowest score of a draft the editor passes


class RubricScores(BaseModel):
    hook: Score
    conflict: Score
    reversal: Score
    cliffhanger: Score
    character_consistency: Score
    dialogue: Score
    pacing: Score


class Critique(BaseModel):
    """The editor's review of a script draft."""

    scores: RubricScores
    # At least one note, whatever the verdict: a grammar-constrained model cannot then send a
    # draft back with nothing to act on.
    notes: list[Text] = Field(min_length=1, max_length=8)
    verdict: Literal["approve", "revise"]

    def scored(self) -> Critique:
        """The critique with the verdict its scores give: "revise" when one is below
        `PASSING`, else "approve", as the editor is told. The embedded editor answered
        "revise" with every score at 3 or more, and each time cost a revision round."""
        low = any(score < PASSING for score in self.scores.model_dump().values())
        return self.model_copy(update={"verdict": "revise" if low else "approve"})

    def total(self) -> int:
        return sum(self.scores.model_dump().values())

    def scenes_to_rewrite(self, script: Script) -> list[int] | None:
        """The scenes of `script` its low scores are about: a low hook is the opening
        scene's, a low cliffhanger the closing one's; any other low score is about the whole
        script (None)."""
        where = {"hook": script.scenes[0].number, "cliffhanger": script.scenes[-1].number}
        low = {name for name, score in self.scores.model_dump().items() if score < PASSING}
        if not low <= where.keys():
            return None
        return sorted({where[name] for name in low})


class ContinuityIssue(BaseModel):
    kind: Literal[
        "unknown_speaker",
        "name_drift",
        "dead_character",
        "location",
        "timeline",
        "prop",
        "knowledge",
        "relationship",
        "appearance",
        "age",
        "other",
    ]
    severity: Literal["error", "warning"]
    scene: int = Field(ge=1)
    line: int | None = Field(default=None, ge=1, description="1-based dialogue line in the scene")
    description: Text
    evidence: str = Field(
        default="", max_length=600, description="the contradicted fact and its source"
    )
    fact_episode: int | None = Field(
        default=None, ge=0, description="the episode of the contradicted fact (0: the bible)"
    )
    fact_scene: int | None = Field(default=None, ge=1, description="its scene")
    found_by: Literal["rules", "agent"] = "agent"

    @field_validator("line", "fact_scene", mode="before")
    @classmethod
    def _zero_is_none(cls, value: Any) -> Any:
        """Models write 0 for "no line" or for a fact of the bible, which has no scenes."""
        return None if value == 0 else value


class ContinuityReport(BaseModel):
    """Contradictions found in a draft, against the bible, memory and itself."""

    issues: list[ContinuityIssue] = Field(default_factory=list, max_length=50)

    def errors(self) -> list[ContinuityIssue]:
        return [i for i in self.issues if i.severity == "error"]


FactKind = Literal["state", "location", "possession", "knowledge", "relationship", "appearance"]
STATES = ("alive", "injured", "dead")
POSSESSION = ("has", "lost", "destroyed", "gave away")


class Fact(BaseModel):
    """One thing an episode established about a character, and the scene that shows it."""

    character: Name
    kind: FactKind
    subject: Name = Field(
        description="state: alive|injured|dead; location: the place; possession: the prop; "
        "knowledge: the secret in a few words; relationship: the other character; "
        "appearance: what changed"
    )
    value: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = Field(
        default="",
        description="possession: has|lost|destroyed|gave away; relationship: what the "
        "character is to the other (sister, husband, enemy); otherwise empty",
    )
    scene: int = Field(ge=1)
    text: Text = Field(description="the fact in one short sentence")

    @model_validator(mode="after")
    def _known_values(self) -> Fact:
        if self.kind == "state" and self.subject.casefold() not in STATES:
            raise ValueError(f"a state fact's subject is one of {', '.join(STATES)}")
        if self.kind == "possession" and self.value.casefold() not in POSSESSION:
            raise ValueError(f"a possession fact's value is one of {', '.join(POSSESSION)}")
        return self


class EpisodeFacts(BaseModel):
    """What an approved episode established: a summary, the facts with their scenes, and the
    threads left open."""

    summary: Text
    facts: list[Fact] = Field(default_factory=list, max_length=30)
    open_threads: list[Text] = Field(default_factory=list, max_length=6)

    def check_against(self, script: Script, bible: SeriesBible) -> None:
        """Raise ValueError when a fact cites a scene the script lacks or a stranger."""
        scenes = {s.number for s in script.scenes}
        problems = [
            f"a fact cites scene {f.scene}, which the script lacks"
            for f in self.facts
            if f.scene not in scenes
        ]
        problems += [
            f"a fact is about {f.character}, who is not in the bible"
            for f in self.facts
            if bible.character(f.character) is None
        ]
        if problems:
            raise ValueError("; ".join(dict.fromkeys(problems)))


class Shot(BaseModel):
    number: int = Field(ge=1)
    scene: int = Field(ge=1)
    framing: Literal["wide", "medium", "close-up"]
    camera: Literal["static", "pan", "push-in"]
    duration_seconds: float = Field(gt=0, le=30)
    visual_prompt: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    characters: list[Name] = Field(default_factory=list, max_length=6)
    lines: list[int] = Field(
        default_factory=list,
        max_length=10,
        description="1-based indexes of the scene's dialogue lines spoken in this shot",
    )


class ShotList(BaseModel):
    """The director's plan: every shot of the episode in order."""

    shots: list[Shot] = Field(min_length=1, max_length=30)

    def check_against(self, script: Script, bible: SeriesBible) -> None:
        """Raise ValueError when a shot names a scene, line or character that does not exist."""
        scenes = {s.number: s for s in script.scenes}
        problems = []
        for shot in self.shots:
            scene = scenes.get(shot.scene)
            if scene is None:
                problems.append(
                    f"shot {shot.number} is in scene {shot.scene}, which the script lacks"
                )
                continue
            problems += [
                f"shot {shot.number} refers to line {n} of scene {shot.scene}, which has "
                f"{len(scene.lines)} lines"
                for n in shot.lines
                if not 1 <= n <= len(scene.lines)
            ]
            problems += [
                f"shot {shot.number} shows {name}, who is not in the bible"
                for name in shot.characters
                if bible.character(name) is None
            ]
        claimed = [(shot.scene, n) for shot in self.shots for n in shot.lines]
        problems += [
            f"line {n} of scene {scene} is in two shots"
            for scene, n in sorted({c for c in claimed if claimed.count(c) > 1})
        ]
        shot_scenes = {shot.scene for shot in self.shots}
        problems += [f"scene {n} has no shot" for n in scenes if n not in shot_scenes]
        if problems:
            raise ValueError("; ".join(problems))

    def number_lines_within_scenes(self, script: Script) -> None:
        """Read line numbers counted through the whole episode as numbers within each scene.

        Small models often number dialogue lines across the script, and then often name the
        wrong scene too: a shot whose numbers do not fit its scene but all fall in one scene
        when counted from the start is renumbered and placed in that scene.
        """
        spans, start = {}, 0
        for scene in script.scenes:
            spans[scene.number] = (start, len(scene.lines))
            start += len(scene.lines)
        for shot in self.shots:
            count = spans.get(shot.scene, (0, 0))[1]
            if all(1 <= n <= count for n in shot.lines):
                continue
            homes = [
                number
                for number, (offset, count) in spans.items()
                if all(offset < n <= offset + count for n in shot.lines)
            ]
            if len(homes) == 1:
                offset = spans[homes[0]][0]
                shot.scene, shot.lines = homes[0], [n - offset for n in shot.lines]

    def cover_scenes(self, script: Script) -> list[int]:
        """Give every scene that no shot shows one plain shot of its own (medium, static, its
        speakers, its heading and first words of action), after the shots of the scenes before
        it, and number the shots anew; the scenes covered so. A small model's shot list often
        stops after the first scene, and asked again, stopped there again."""
        order = [scene.number for scene in script.scenes]
        covered = {shot.scene for shot in self.shots}
        added = []
        for scene in script.scenes:
            if scene.number in covered:
                continue
            before = set(order[: order.index(scene.number)])
            shown = [i + 1 for i, shot in enumerate(self.shots) if shot.scene in before]
            at = max(shown, default=0)
            speakers = list(dict.fromkeys(line.speaker for line in scene.lines))[:6]
            sight = f"{scene.heading}. {scene.action}"
            self.shots.insert(
                at,
                Shot(
                    number=1,
                    scene=scene.number,
                    framing="medium",
                    camera="static",
                    duration_seconds=3.0,
                    visual_prompt=sight[:300].rsplit(" ", 1)[0] if len(sight) > 300 else sight,
                    characters=speakers,
                ),
            )
            added.append(scene.number)
        if added:
            for number, shot in enumerate(self.shots, 1):
                shot.number = number
        return added

    def claim_lines_once(self) -> list[tuple[int, int]]:
        """A line that several shots claim stays in the first of them; the (scene, line)
        pairs taken from later shots. The embedded director gave two shots of a scene the same
        lines (a wide and a close-up of one exchange) and, asked again, did it again."""
        claimed: set[tuple[int, int]] = set()
        taken = []
        for shot in self.shots:
            kept = []
            for n in shot.lines:
                if (shot.scene, n) in claimed:
                    taken.append((shot.scene, n))
                else:
                    claimed.add((shot.scene, n))
                    kept.append(n)
            shot.lines = kept
        return taken

    def drop_silent_repeats(self) -> list[int]:
        """Leave out a shot without lines that shows what an earlier shot of its scene shows
        (the same visual prompt, word for word), and number the shots anew; the numbers of
        the shots left out. The embedded director gave one scene five such shots, 90 s of the
        same picture in silence, once their lines had stayed in the first shot."""
        seen: set[tuple[int, str]] = set()
        kept, dropped = [], []
        for shot in self.shots:
            sight = (shot.scene, " ".join(re.findall(r"\w+", shot.visual_prompt.casefold())))
            if sight in seen and not shot.lines:
                dropped.append(shot.number)
                continue
            seen.add(sight)
            kept.append(shot)
        if dropped:
            self.shots = [shot.model_copy(update={"number": n}) for n, shot in enumerate(kept, 1)]
        return dropped

    def cover_lines(self, script: Script) -> None:
        """Give every dialogue line that no shot claims to the last shot of its scene."""
        claimed = {(shot.scene, n) for shot in self.shots for n in shot.lines}
        for scene in script.scenes:
            shots = [shot for shot in self.shots if shot.scene == scene.number]
            for n in range(1, len(scene.lines) + 1):
                if shots and (scene.number, n) not in claimed:
                    shots[-1].lines = sorted([*shots[-1].lines, n])

    def show_speakers(self, script: Script) -> list[int]:
        """A shot that shows nobody while lines are spoken in it shows their speakers (up to
        six); the numbers of such shots. The embedded director named the characters in its
        visual prompts and left every shot's list empty: shots of an empty room, and no mouth
        to move. A shot that shows somebody keeps its choice (a speaker off screen)."""
        scenes = {scene.number: scene for scene in script.scenes}
        filled = []
        for shot in self.shots:
            if shot.characters or not shot.lines:
                continue
            said = [scenes[shot.scene].lines[n - 1].speaker for n in shot.lines]
            shot.characters = list(dict.fromkeys(said))[:6]
            filled.append(shot.number)
        return filled

    def fit_dialogue(self, script: Script) -> list[int]:
        """Lengthen every shot too short to say its lines in (estimated from their words), up
        to the 30 s a shot may last; the numbers of the shots lengthened."""
        scenes = {scene.number: scene for scene in script.scenes}
        lengthened = []
        for shot in self.shots:
            lines = [scenes[shot.scene].lines[n - 1].text for n in shot.lines]
            needed = min(30.0, round(shot_seconds(lines), 1))
            if shot.duration_seconds < needed:
                shot.duration_seconds = needed
                lengthened.append(shot.number)
        return lengthened

    def total_seconds(self) -> float:
        return sum(s.duration_seconds for s in self.shots)


class Decision(BaseModel):
    """A person's answer at a checkpoint."""

    action: Literal["approve", "revise", "edit"]
    notes: str = ""
    draft: dict | None = None
    by: str = "person"
    # approve (or edit) a script despite its continuity errors
    override: bool = False

    @model_validator(mode="after")
    def _complete(self) -> Decision:
        if self.action == "revise" and not self.notes.strip():
            raise ValueError("'revise' needs notes saying what to change")
        if len(self.notes) > MAX_NOTES_CHARS:
            raise ValueError(
                f"the notes are {len(self.notes):,} characters; keep them under "
                f"{MAX_NOTES_CHARS:,} (say what to change, not the whole draft)"
            )
        if self.draft is not None and depth(self.draft) > MAX_JSON_DEPTH:
            raise ValueError(f"the edited draft nests deeper than {MAX_JSON_DEPTH} levels")
        if self.action == "edit" and self.draft is None:
            raise ValueError("'edit' needs the changed draft")
        return self
