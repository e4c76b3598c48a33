"""The editor: scores a script draft and sends it back with notes or passes it on."""

from __future__ import annotations

from writersroom.agents._drafts import dump, remembered
from writersroom.room.context import Room
from writersroom.schemas import ContinuityReport, Critique, EpisodeOutline, Script

AGENT = "editor"


def review_script(
    room: Room, outline: EpisodeOutline, script: Script, continuity: ContinuityReport
) -> Critique:
    """The critique of `script`, given the continuity report's errors: its warnings (the
    agent's doubts, and its claims the rules disprove) are the person's to weigh, not a reason
    to send the script back (a small editor sent it back for any issue it was shown). Its
    verdict is the one its scores give (`Critique.scored`)."""
    critique = room.ask(
        AGENT,
        "review_script",
        Critique,
        outline=dump(outline),
        script=dump(script),
        continuity=dump(ContinuityReport(issues=continuity.errors())),
        memory=remembered(room, dump(script)),
    )
    return critique.scored()
