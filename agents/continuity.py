"""The continuity checker: contradictions between a draft, the bible and earlier episodes; and
after an episode is approved, the facts it established for the ledger."""

from __future__ import annotations

from writersroom.agents._drafts import dump, earlier, remembered
from writersroom.agents.director import numbered
from writersroom.answers import with_choices
from writersroom.room import Room
from writersroom.schemas import ContinuityReport, EpisodeFacts, EpisodeOutline, Script, SeriesBible

AGENT = "continuity"


def check_continuity(
    room: Room, bible: SeriesBible, script: Script, summaries: list[dict]
) -> ContinuityReport:
    """The agent's layer: contradictions with the retrieved facts that rules cannot see."""
    scenes = {s.number: len(s.lines) for s in script.scenes}

    def check(report: ContinuityReport) -> None:
        for issue in report.issues:
            if issue.scene not in scenes:
                raise ValueError(f"an issue cites scene {issue.scene}, which the script lacks")
            if issue.line is not None and issue.line > scenes[issue.scene]:
                raise ValueError(
                    f"an issue cites line {issue.line} of scene {issue.scene}, "
                    f"which has {scenes[issue.scene]} lines"
                )

    report = room.ask(
        AGENT,
        "check_continuity",
        ContinuityReport,
        check,
        bible=dump(bible),
        earlier=earlier(summaries),
        memory=remembered(room, numbered(script)),
        script=numbered(script),
    )
    return ContinuityReport(
        issues=[i.model_copy(update={"found_by": "agent"}) for i in report.issues]
    )


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
