"""The continuity checker: contradictions between a draft, the bible and earlier episodes."""

from __future__ import annotations

from writersroom.agents._drafts import dump, earlier

from writersroom.room import Room
from writersroom.schemas import ContinuityReport, Script, SeriesBible

AGENT = "continuity"


def check_continuity(
    room: Room, bible: SeriesBible, script: Script, summaries: list[dict]
) -> ContinuityReport:
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

    return room.ask(
        AGENT,
        "check_continuity",
        ContinuityReport,
        check,
        bible=dump(bible),
        earlier=earlier(summaries),
        script=dump(script),
    )
