"""The showrunner: develops the series bible and outlines each episode."""

from __future__ import annotations

import copy

from writersroom.agents._drafts import dump, earlier, language, remembered, revision_request
from writersroom.continuity import quality
from writersroom.room.context import Room
from writersroom.schemas import EpisodeOutline, Loglines, SeriesBible

AGENT = "showrunner"
SEASON_EPISODES = 8
TARGET_RUNTIME_SECONDS = 90


def develop_series(
    room: Room, premise: str, notes: str = "", previous: SeriesBible | None = None
) -> SeriesBible:
    """The bible. One that loses the premise's people, or names characters by their roles, is
    revised once with what is wrong (not when a person's notes steer it: they may change who is
    who), and the draft with fewer faults stands; loglines that copy earlier ones are written
    anew on their own."""

    def draft(notes: str, previous: SeriesBible | None) -> SeriesBible:
        return room.ask(
            AGENT,
            "develop_series",
            SeriesBible,
            premise=premise,
            language=language(premise),
            episodes=str(SEASON_EPISODES),
            revision=revision_request(notes, previous),
        )

    bible = draft(notes, previous)
    faults, problems = quality.first_draft_faults(bible, premise)
    if faults and not notes:
        again = draft(problems, bible)
        if quality.first_draft_faults(again, premise)[0] < faults:
            bible = again
    copies = quality.copied_loglines(bible)
    return _distinct_loglines(room, bible, copies) if copies else bible


def _distinct_loglines(
    room: Room, bible: SeriesBible, copies: list[tuple[int, int]]
) -> SeriesBible:
    """The bible with the loglines that copy earlier ones written anew, once; a logline that
    still copies another is dropped (its episode is outlined from the arc so far)."""
    redo = sorted({later for later, _ in copies})

    def check(fix: Loglines) -> None:
        missing = sorted(set(redo) - {item.number for item in fix.loglines})
        if missing:
            raise ValueError(f"give the loglines of episodes {', '.join(map(str, missing))}")

    schema = copy.deepcopy(Loglines.model_json_schema())  # only the episodes to rewrite
    schema["$defs"]["EpisodeLogline"]["properties"]["number"] = {"type": "integer", "enum": redo}
    schema["properties"]["loglines"] |= {"minItems": len(redo), "maxItems": len(redo)}
    said = {e.number: e.logline for e in bible.season_arc}
    fix = room.ask(
        AGENT,
        "rewrite_loglines",
        Loglines,
        check,
        json_schema=schema,
        arc="\n".join(f"{e.number}. {e.logline}" for e in bible.season_arc),
        copies="\n".join(f'{a}. "{said[a]}" copies {b}. "{said[b]}"' for a, b in copies),
        redo=", ".join(map(str, redo)),
        title=bible.title,
        logline=bible.logline,
        language=language(bible.logline),
    )
    new = {item.number: item.logline for item in fix.loglines}
    arc = [e.model_copy(update={"logline": new.get(e.number, e.logline)}) for e in bible.season_arc]
    fixed = bible.model_copy(update={"season_arc": arc})
    still = {later for later, _ in quality.copied_loglines(fixed)}
    return fixed.model_copy(update={"season_arc": [e for e in arc if e.number not in still]})


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
        language=language(bible.logline),
        runtime=str(TARGET_RUNTIME_SECONDS),
        revision=revision_request(notes, previous),
    )
