"""The continuity checker: contradictions between a draft, the bible and earlier episodes; and
after an episode is approved, the facts it established for the ledger."""

from __future__ import annotations

import copy
from typing import Any, get_args

from writersroom.agents._drafts import dump, earlier, numbered, remembered, scene_text
from writersroom.room.answers import with_choices
from writersroom.room.context import Room
from writersroom.schemas import (
    POSSESSION,
    STATES,
    ContinuityIssue,
    ContinuityReport,
    EpisodeFacts,
    EpisodeOutline,
    FactKind,
    Script,
    SeriesBible,
)
from writersroom.screenplay import fountain

AGENT = "continuity"
WINDOW_TOKENS = 2500  # of script per answer (characters / 4): a film is read in parts
FACTS_PER_SCENE = 2


def windows(play: fountain.Screenplay, budget: int = WINDOW_TOKENS) -> list[tuple[list[int], str]]:
    """The play in runs of whole scenes of at most `budget` tokens each (a longer scene alone):
    each run's scene numbers and text."""
    parts: list[list[fountain.SceneText]] = [[]]
    size = 0
    for scene in play.scenes:
        cost = len(scene_text(play, [scene])) // 4
        if parts[-1] and size + cost > budget:
            parts.append([])
            size = 0
        parts[-1].append(scene)
        size += cost
    return [([s.number for s in scenes], scene_text(play, scenes)) for scenes in parts if scenes]


def check_continuity(
    room: Room, bible: str, play: fountain.Screenplay, summaries: list[dict]
) -> list[ContinuityIssue]:
    """The agent's layer: contradictions with the bible (as text) and the retrieved facts that
    rules cannot see. A long script is read window by window; an issue must cite a scene of its
    window, and a line the scene does not have is dropped from it (the scene stands)."""
    lines = {s.number: len(s.dialogue()) for s in play.scenes}

    def check(report: ContinuityReport) -> None:
        for issue in report.issues:
            if issue.scene not in lines:
                raise ValueError(f"an issue cites scene {issue.scene}, which the script lacks")

    found: dict[tuple[str, int, int | None], ContinuityIssue] = {}
    for numbers, text in windows(play):
        schema = copy.deepcopy(ContinuityReport.model_json_schema())
        schema["$defs"]["ContinuityIssue"]["properties"]["scene"] = {
            "type": "integer",
            "enum": numbers,
        }
        report = room.ask(
            AGENT,
            "check_continuity",
            ContinuityReport,
            check,
            json_schema=schema,
            bible=bible,
            earlier=earlier(summaries),
            memory=remembered(room, text),
            script=text,
        )
        for issue in report.issues:
            if issue.line is not None and issue.line > lines[issue.scene]:
                issue = issue.model_copy(update={"line": None})
            found.setdefault((issue.kind, issue.scene, issue.line), issue)
    return [i.model_copy(update={"found_by": "agent"}) for i in found.values()]


def facts_schema(cast: list[str], scenes: list[int]) -> dict[str, Any]:
    """EpisodeFacts' schema held to what its checks demand, so that a model under a grammar
    cannot write what would be refused: a character of the cast, a scene of the script, a
    state's and a possession's own words (one variant of a fact per such kind), and at most
    `FACTS_PER_SCENE` facts a scene (a model repeating itself stops there)."""
    schema = with_choices(EpisodeFacts.model_json_schema(), "Fact", "character", cast)
    bound = schema["properties"]["facts"]
    bound["maxItems"] = min(bound["maxItems"], FACTS_PER_SCENE * len(scenes))
    fact = schema["$defs"]["Fact"]
    fact["properties"]["scene"] = {"type": "integer", "enum": scenes}

    def variant(kinds: list[str], field: str = "", words: tuple[str, ...] = ()) -> dict[str, Any]:
        narrowed = copy.deepcopy(fact)
        narrowed["properties"]["kind"] = {"type": "string", "enum": kinds}
        if field:
            narrowed["properties"][field] = {"type": "string", "enum": list(words)}
            narrowed["required"] = list(dict.fromkeys([*narrowed["required"], field]))
        return narrowed

    others = [k for k in get_args(FactKind) if k not in ("state", "possession")]
    schema["$defs"]["Fact"] = {
        "anyOf": [
            variant(["state"], "subject", STATES),
            variant(["possession"], "value", POSSESSION),
            variant(others),
        ]
    }
    return schema


def extract_facts(
    room: Room, bible: SeriesBible, outline: EpisodeOutline, script: Script
) -> EpisodeFacts:
    """What the approved episode established, each fact with its scene, for the ledger: at
    most `FACTS_PER_SCENE` a scene, so that a model repeating itself stops."""
    cast = [c.name for c in bible.characters]

    def check(facts: EpisodeFacts) -> None:
        facts.check_against(script, bible)

    return room.ask(
        AGENT,
        "extract_facts",
        EpisodeFacts,
        check,
        json_schema=facts_schema(cast, [s.number for s in script.scenes]),
        cast=", ".join(cast),
        outline=dump(outline),
        script=numbered(script),
    )
