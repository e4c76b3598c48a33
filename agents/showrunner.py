"""The showrunner: develops the series bible and outlines each episode."""

from __future__ import annotations

from writersroom import quality
from writersroom.agents._drafts import dump, earlier, remembered, revision_request
from writersroom.room import Room
from writersroom.schemas import EpisodeOutline, SeriesBible

AGENT = "showrunner"
SEASON_EPISODES = 8
TARGET_RUNTIME_SECONDS = 90


def develop_series(
    room: Room, premise: str, notes: str = "", previous: SeriesBible | None = None
) -> SeriesBible:
    """The bible; one that loses the premise's people or copies a logline is asked again."""

    def check(bible: SeriesBible) -> None:
        problems = quality.bible_problems(bible, premise)
        if problems:
            raise ValueError("; ".join(problems))

    return room.ask(
        AGENT,
        "develop_series",
        SeriesBible,
        check,
        premise=premise,
        episodes=str(SEASON_EPISODES),
        revision=revision_request(notes, previous),
    )


def outline_episode(
    room: Room,
    bible: SeriesBible,
    number: int,
    summaries: list[dict],
    notes: str = "",
    previous: EpisodeOutline | None = None,
) -> EpisodeOutline:
    logline = next((e.logline for e in bible.season_arc if e.number == number), "continue the arc")

    def check(outline: EpisodeOutline) -> None:
        if outline.number != number:
            raise ValueError(f"this is the outline of episode {number}, not {outline.number}")

    return room.ask(
        AGENT,
        "outline_episode",
        EpisodeOutline,
        check,
        bible=dump(bible),
        earlier=earlier(summaries),
        memory=remembered(room, logline),
        number=str(number),
        logline=logline,
        runtime=str(TARGET_RUNTIME_SECONDS),
        revision=revision_request(notes, previous),
    )
