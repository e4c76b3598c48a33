"""The checker's rules, one contradiction at a time, each beside the clean page it must pass."""

from __future__ import annotations

import pytest

from writersroom.continuity.canon import Canon, CanonCharacter, Known, Opening
from writersroom.continuity.rules import check
from writersroom.screenplay import fountain

CAST = [
    CanonCharacter("Lin Mei", 26, ["She is the real heir of the Lin group"]),
    CanonCharacter("Lin Yue", 26, ["She swapped places with Mei at birth"]),
    CanonCharacter("Chen Hao", 29),
]
HAO_DEAD = Known(1, 2, "Chen Hao", "state", "dead", "", "Chen Hao falls from the roof.")
PENDANT_GONE = Known(1, 3, "Lin Mei", "possession", "jade pendant", "destroyed",
                     "Yue smashes the jade pendant.")  # fmt: skip
SISTERS = Known(1, 1, "Lin Yue", "relationship", "Lin Mei", "twin sister", "Yue is Mei's twin.")
HAO_LEARNS = Known(1, 4, "Chen Hao", "knowledge", "Mei is the heir of the group", "Lin Mei",
                   "Mei tells Hao she is the heir.")  # fmt: skip


def issues(text: str, facts: list[Known] = (), **canon) -> list[tuple[str, int, int | None]]:
    play = fountain.parse(text)
    found = check(play, Canon(canon.pop("cast", CAST), list(facts), 2, **canon))
    return [(i.kind, i.scene, i.line) for i in found]


def scenes(*blocks: str) -> str:
    return "\n\n".join(blocks) + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (scenes("INT. HALL - DAY", "LIN MEI\nWho is there?"), []),
        (scenes("INT. HALL - DAY", "MA LI\nWho is there?"), [("unknown_speaker", 1, 1)]),
        (scenes("INT. HALL - DAY", "LIN WEI\nWho is there?"), [("name_drift", 1, 1)]),
        (scenes("INT. HALL - DAY", "Lin Wei waits by the door."), [("name_drift", 1, None)]),
        (scenes("INT. HALL - DAY", "LIN MEI\nLin Wei, is that you?"), [("name_drift", 1, 1)]),
        # plurals and numbered extras are not drifts
        (scenes("INT. HALL - DAY", "Lin Yue and Lin Mei wait. MEI waves."), []),
    ],
)
def test_speakers_and_names(text: str, expected: list) -> None:
    assert issues(text) == expected


def test_names_without_a_cast_list_come_from_the_speakers() -> None:
    text = scenes(
        "INT. HALL - DAY",
        "LIN MEI\nOne.",
        "LIN MEI\nTwo.",
        "LIN WEI\nThree.",
        "GUARD 1\nHalt.",
        "GUARD 2\nHalt!",
    )
    assert issues(text, cast=[]) == [("name_drift", 1, 3)]
    # introduced in capitals in the action, a similar name is a character of its own
    assert (
        issues("INT. HALL - DAY\n\nLIN WEI enters.\n\n" + text.split("\n\n", 1)[1], cast=[]) == []
    )


def test_the_dead_do_not_speak_or_appear() -> None:
    assert issues(scenes("INT. HALL - DAY", "CHEN HAO\nI'm back."), [HAO_DEAD]) == [
        ("dead_character", 1, 1)
    ]
    assert issues(scenes("INT. HALL - DAY", "Chen Hao sits by the fire."), [HAO_DEAD]) == [
        ("dead_character", 1, None)
    ]
    clean = scenes(
        "INT. HALL - DAY",
        "Mei lays flowers on Chen Hao's grave. A photo of Chen Hao smiles from the wall.",
        "CHEN HAO (V.O.)\nRemember me.",
    )
    assert issues(clean, [HAO_DEAD]) == []
    assert issues(scenes("INT. HALL - DAY (FLASHBACK)", "CHEN HAO\nYears ago."), [HAO_DEAD]) == []


def test_a_death_in_the_script_counts_from_then_on() -> None:
    text = scenes(
        "EXT. ROOF - NIGHT",
        "CHEN HAO\nDon't!",
        "Chen Hao falls dead. Mei kneels over Chen Hao's body.",
        "INT. HALL - NIGHT",
        "CHEN HAO\nI'm fine.",
    )
    found = fountain.parse(text)
    report = check(found, Canon(CAST, [], 2))
    assert [(i.kind, i.scene, i.line, i.fact_episode, i.fact_scene) for i in report] == [
        ("dead_character", 2, 1, 2, 1)
    ]


def test_props_lost_or_destroyed_stay_gone_until_found() -> None:
    use = scenes("INT. HALL - DAY", "Mei fastens the jade pendant at her throat.")
    assert issues(use, [PENDANT_GONE]) == [("prop", 1, None)]
    assert issues(scenes("INT. HALL - DAY", "Mei stares at the shards of the pendant."),
                  [PENDANT_GONE]) == []  # fmt: skip
    found = scenes(
        "INT. HALL - DAY", "Mei finds the jade pendant under the sofa. She wears the pendant."
    )
    assert issues(found, [PENDANT_GONE]) == []
    in_script = scenes(
        "EXT. PIER - NIGHT",
        "Yue throws the letter into the river.",
        "INT. HALL - NIGHT",
        "Mei unfolds the letter.",
    )
    assert issues(in_script) == [("prop", 2, None)]
    assert (
        issues(scenes("INT. OFFICE - DAY", "She snaps the folder shut. He opens the folder.")) == []
    )


def test_continuous_scenes_keep_the_time_of_day() -> None:
    assert issues(scenes("INT. HALL - NIGHT", "Mei waits.", "INT. STAIRS - CONTINUOUS",
                         "Yue runs down.")) == []  # fmt: skip
    assert issues(scenes("INT. HALL - NIGHT", "Mei waits.", "EXT. GARDEN - DAY (CONTINUOUS)",
                         "Yue runs out.")) == [("timeline", 2, None)]  # fmt: skip
    assert issues(scenes("INT. HALL - DAY", "Mei waits.", "INT. STAIRS - CONTINUOUS",
                         "Moonlight floods the stairs.")) == [("timeline", 2, None)]  # fmt: skip
    opening = Opening(1, 4, "EXT. ROOF - NIGHT", ["Lin Mei"])
    assert issues(scenes("EXT. ROOF - DAY (CONTINUOUS)", "Wind."), opening=opening) == [
        ("timeline", 1, None)
    ]


def test_nobody_is_in_two_places_at_once() -> None:
    moved = scenes(
        "INT. OFFICE - NIGHT",
        "LIN MEI\nEnough.",
        "Mei storms out.",
        "INT. HALLWAY - CONTINUOUS",
        "Mei leans on the wall.",
    )
    assert issues(moved) == []
    stayed = scenes(
        "INT. OFFICE - NIGHT",
        "Mei sits at the desk.",
        "INT. HALLWAY - CONTINUOUS",
        "Mei leans on the wall.",
    )
    assert issues(stayed) == [("location", 2, None)]
    same_time = scenes(
        "INT. OFFICE - NIGHT",
        "LIN YUE\nSign it.",
        "INT. HOSPITAL - SAME TIME",
        "LIN YUE\nShe signed.",
    )
    assert issues(same_time) == [("location", 2, 1)]
    on_the_phone = scenes(
        "INT. OFFICE - NIGHT", "LIN YUE\nSign it.", "INT. HOSPITAL - SAME TIME",
        "LIN YUE (ON PHONE)\nShe signed.",
    )  # fmt: skip
    assert issues(on_the_phone) == []


def test_secrets_are_spoken_only_by_who_knows_them() -> None:
    leak = scenes("INT. HALL - DAY", "CHEN HAO\nYou are the real heir of the group!")
    assert issues(leak) == [("knowledge", 1, 1)]
    assert issues(leak, [HAO_LEARNS]) == []
    told = scenes(
        "INT. HALL - DAY",
        "Mei and Hao sit together.",
        "LIN MEI\nI am the heir of the Lin group.",
        "CHEN HAO\nThe heir of the group... you?",
    )
    assert issues(told) == []


def test_a_relationship_kept_secret_is_known_to_both_its_parties() -> None:
    """The revenge premise's bible gave the ex-husband the secret "His past relationship with
    Lily": Lily speaking of it is no leak, a third person doing so is."""
    cast = [*CAST, CanonCharacter("James Cole", 40, ["His past relationship with Lin Mei"])]
    spoken = "INT. WEDDING - DAY", "LIN MEI\nNobody knows about our past relationship."
    assert issues(scenes(*spoken), cast=cast) == []
    leak = "INT. WEDDING - DAY", "CHEN HAO\nI know about your past relationship."
    assert issues(scenes(*leak), cast=cast) == [("knowledge", 1, 1)]


def test_ages_and_kinship_hold_to_the_bible_and_the_ledger() -> None:
    assert issues(scenes("INT. HALL - DAY", "LIN MEI (34) enters.")) == [("age", 1, None)]
    assert issues(scenes("INT. HALL - DAY", "LIN MEI\nI'm twenty-six.")) == []
    assert issues(scenes("INT. HALL - DAY", "LIN MEI\nI'm forty and tired.")) == [("age", 1, 1)]
    cousin = scenes("INT. HALL - DAY", "Lin Yue, Lin Mei's cousin, smiles.")
    assert issues(cousin, [SISTERS]) == [("relationship", 1, None)]
    assert issues(scenes("INT. HALL - DAY", "Lin Mei's sister, Lin Yue, smiles."), [SISTERS]) == []
    said = scenes("INT. HALL - DAY", "LIN MEI\nLin Yue, my cousin, is late.")
    assert issues(said, [SISTERS]) == [("relationship", 1, 1)]


def test_every_issue_cites_the_fact_and_its_source() -> None:
    play = fountain.parse(scenes("INT. HALL - DAY", "CHEN HAO\nI'm back."))
    [issue] = check(play, Canon(CAST, [HAO_DEAD], 2))
    assert issue.model_dump(include={"kind", "severity", "scene", "line", "found_by"}) == {
        "kind": "dead_character",
        "severity": "error",
        "scene": 1,
        "line": 1,
        "found_by": "rules",
    }
    assert (issue.fact_episode, issue.fact_scene) == (1, 2)
    assert issue.evidence == "Chen Hao falls from the roof. (episode 1, scene 2)"
