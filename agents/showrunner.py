"""The showrunner: develops the series bible and outlines each episode."""

from __future__ import annotations

import copy
import re
from typing import Any

from writersroom.agents._drafts import dump, earlier, language, remembered, revision_request
from writersroom.continuity import quality
from writersroom.errors import AnswerError
from writersroom.room.answers import clip
from writersroom.room.context import Room
from writersroom.schemas import MAX_TEXT, EpisodeOutline, SeriesBible
from writersroom.screenplay.prose import MARKUP

AGENT = "showrunner"
SEASON_EPISODES = 8
TARGET_RUNTIME_SECONDS = 90
TURNS = (
    "a discovery",
    "a betrayal",
    "a confrontation",
    "a reversal",
    "a sacrifice",
    "a trap",
    "a showdown",
    "a revelation",
)
LOGLINE = re.compile(  # "2: ...", "Episode 2 [a betrayal]: ...", "第2集：..."
    r"^(?:episode\s*|第\s*)?(\d{1,2})(?!\d)\s*集?\s*(?:\[[^\]]*\]|【[^】]*】)?\s*[:.：)、\-–]?\s*(.+)$",
    re.IGNORECASE,
)
LOGLINE_TOKENS = 30  # a logline under fifteen words, with its number
STAND_INS = {  # names that stand for anybody, as a small model fills them in -> names of their own
    "john doe": "Daniel Reyes",
    "jane doe": "Clara Whitfield",
    "john smith": "Owen Mercer",
    "jane smith": "Nora Castell",
    "joe bloggs": "Felix Hart",
    "张三": "林晓",
    "李四": "陈浩",
    "王五": "赵磊",
    "赵六": "孙悦",
}


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
    bible = own_names(bible)
    copies = quality.copied_loglines(bible)
    return _distinct_loglines(room, bible, copies) if copies else bible


def own_names(bible: SeriesBible) -> SeriesBible:
    """The bible with each character called by a stand-in name ("John Doe", "张三") renamed
    (`STAND_INS`) wherever the bible says it, the given and family names on their own too.

    The embedded model called a debt collector and a widow John Doe and Jane Smith and, asked
    for names of their own, wrote the same again: a name is not a choice to spend a call on."""
    text = bible.model_dump_json()
    for character in bible.characters:
        own = STAND_INS.get(" ".join(character.name.casefold().split()))
        if own is None:
            continue
        pairs = [(character.name, own)]
        written, renamed = character.name.split(), own.split()
        if len(written) == len(renamed) > 1:  # "John" and "Doe" on their own
            pairs += zip(written, renamed, strict=True)
        for old, new in pairs:
            for was, now in ((old, new), (old.upper(), new.upper())):
                whole = rf"\b{re.escape(was)}\b" if was.isascii() else re.escape(was)
                text = re.sub(whole, now, text)
    return SeriesBible.model_validate_json(text)


def _distinct_loglines(
    room: Room, bible: SeriesBible, copies: list[tuple[int, int]]
) -> SeriesBible:
    """The bible with the loglines that copy earlier ones written anew, once; a logline that
    still copies another, or that no answer in the attempts gave, is dropped (its episode is
    outlined from the arc so far): the embedded model, asked for episodes 7 and 8, wrote 1 to 6
    again three times, and the run had ended there.

    They are asked for as a numbered list, each episode told the turn it brings ("3 [a
    betrayal]:"), and the copies are not shown: the embedded model, shown them and asked for
    JSON, wrote the same logline seven times again."""
    redo = sorted({later for later, _ in copies})
    arc = "\n".join(
        f"{e.number} [{_turn(e.number)}]:" if e.number in redo else f"{e.number}: {e.logline}"
        for e in bible.season_arc
    )

    def read(text: str) -> dict[int, str]:
        written: dict[int, str] = {}
        for row in text.splitlines():
            found = LOGLINE.match(MARKUP.sub("", row).strip())
            if found and int(found.group(1)) in redo:
                written.setdefault(int(found.group(1)), clip(found.group(2).strip(), MAX_TEXT))
        missing = [number for number in redo if number not in written]
        if missing:
            raise ValueError(
                f"give the loglines of episodes {', '.join(map(str, missing))}, one line each "
                "as NUMBER: LOGLINE"
            )
        return written

    try:
        new = room.write(
            AGENT,
            "rewrite_loglines",
            read,
            what="season loglines",
            max_tokens=LOGLINE_TOKENS * len(bible.season_arc),
            title=bible.title,
            logline=bible.logline,
            characters=", ".join(f"{c.name} ({c.role})" for c in bible.characters),
            arc=arc,
            language=language(bible.logline),
        )
    except AnswerError:  # the copies stay copies, and are dropped below
        new = {}
    season = [
        e.model_copy(update={"logline": new.get(e.number, e.logline)}) for e in bible.season_arc
    ]
    fixed = bible.model_copy(update={"season_arc": season})
    still = {later for later, _ in quality.copied_loglines(fixed)}
    return fixed.model_copy(update={"season_arc": [e for e in season if e.number not in still]})


def _turn(number: int) -> str:
    """The event episode `number` (from 2) turns the story with, in a cycle."""
    return TURNS[(number - 2) % len(TURNS)]


def outline_schema(number: int) -> dict[str, Any]:
    """EpisodeOutline's schema with what the room already knows fixed: the episode's number
    and its target runtime. (The beats' times are not bounded by the runtime: held to 0-90 s,
    the embedded model counted its beats in steps of 2-5 s and put the cliffhanger at 15-55 s
    of 90; beats past the runtime are fitted into it when the outline is read.)"""
    schema = copy.deepcopy(EpisodeOutline.model_json_schema())
    fields = schema["properties"]
    fields["number"] = {"type": "integer", "enum": [number]}
    fields["target_runtime_seconds"] = {"type": "integer", "enum": [TARGET_RUNTIME_SECONDS]}
    return schema


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
        if len(quality.distinct_beats(outline)) < 2:
            raise ValueError("the beats say one thing over and over: give each beat a new turn")

    outline = room.ask(
        AGENT,
        "outline_episode",
        EpisodeOutline,
        check,
        json_schema=outline_schema(number),
        bible=dump(bible),
        earlier=earlier(summaries),
        memory=remembered(room, logline),
        number=str(number),
        logline=logline,
        language=language(bible.logline),
        runtime=str(TARGET_RUNTIME_SECONDS),
        revision=revision_request(notes, previous),
    )
    # a beat said again would be a scene written again: the embedded model's smoke outline of
    # the revenge premise alternated two beats for twelve, and its scene 4 was scene 2 again
    return outline.model_copy(update={"beats": quality.distinct_beats(outline)})
