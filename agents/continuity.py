"""The continuity checker: contradictions between a draft, the bible and earlier episodes; and
after an episode is approved, the facts it established for the ledger."""

from __future__ import annotations

import copy

from writersroom.agents._drafts import dump, earlier, numbered, remembered, scene_text
from writersroom.room.answers import with_choices
from writersroom.room.context import Room
from writersroom.schemas import (
    ContinuityIssue,
    ContinuityReport,
    EpisodeFacts,
    EpisodeOutline,
    Script,
    SeriesBible,
)
from writersroom.screenplay import fountain

AGENT = "continuity"
WINDOW_TOKENS = 2500  # of script per answer (characters / 4): a film is read in parts


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


def extract_facts(
    room: Room, bible: SeriesBible, outline: EpisodeOutline, script: Script
) -> EpisodeFacts:
    """What the approved episode established, each fact with its scene, for the ledger."""
    cast = [c.name for c in bible.characters]

    def check(facts: EpisodeFacts) -> None:
        facts.check_against(script, bible)

    return room.ask(
        AGENT,
        "extract_facts",
        EpisodeFacts,
        check,
        json_schema=with_choices(EpisodeFacts.model_json_schema(), "Fact", "character", cast),
        cast=", ".join(cast),
        outline=dump(outline),
        script=numbered(script),
    )
