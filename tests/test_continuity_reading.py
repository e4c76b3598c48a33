"""The rules read as a reader does: pronouns, deaths shown, ages in words, the exceptions.

Each kind of miss in several phrasings, each beside the legitimate page it must pass.
"""

from __future__ import annotations

import pytest

from writersroom.continuity.canon import Canon, CanonCharacter
from writersroom.continuity.rules import check
from writersroom.screenplay import fountain

CAST = [CanonCharacter("Lin Mei", 26), CanonCharacter("Chen Hao", 29), CanonCharacter("Su Yan", 40)]
# Gives the reader the characters' genders, as any real script does.
INTRO = "INT. LOBBY - DAY\n\nLin Mei smooths her coat. Chen Hao adjusts his tie. He waits.\n\n"
LATER = "\n\nINT. CAFE - DAY\n\nCHEN HAO\nI'm back."


def found(*blocks: str, cast: list[CanonCharacter] = CAST) -> list[tuple[str, int]]:
    play = fountain.parse(INTRO + "\n\n".join(blocks) + "\n")
    return [(i.kind, i.scene) for i in check(play, Canon(cast, [], 1))]


def dies_then_speaks(action: str) -> list[tuple[str, int]]:
    return found("INT. ROOF - NIGHT\n\n" + action + LATER)


@pytest.mark.parametrize(
    "action",
    [
        "Lin Mei reaches for Chen Hao. He slips from her grasp and dies on the pavement.",
        "Chen Hao clutches the railing. A moment later he is dead.",
        "Chen Hao turns. Lin Mei stabs him to death.",
        "Chen Hao gasps once. Then he stops breathing.",
        "Chen Hao falls from the roof. The body lies broken on the stones below.",
        "Lin Mei pulls the trigger. Chen Hao sways, then drops to the tiles, dead.",
        "Chen Hao lets out one last shuddering breath.",
        "Chen Hao passes on in his sleep.",
        "Chen Hao is hit by a car and killed outright.",
        "The rebels drag Chen Hao to the square. They execute him at dawn.",
    ],
)
def test_a_death_said_with_a_pronoun_or_plainly_counts(action: str) -> None:
    assert dies_then_speaks(action) == [("dead_character", 3)]


@pytest.mark.parametrize(
    "action",
    [
        "Mourners in white bow before Chen Hao's coffin.",
        "Rain falls on Chen Hao's funeral.",
        "A portrait of Chen Hao stands on the altar, draped in black.",
        "Chen Hao lies in a hospital bed. The heart monitor flatlines.",
        "Chen Hao lies in the open casket, hands folded.",
        "Orderlies wheel Chen Hao's body out under a sheet.",
        "Lin Mei lights incense before a black-framed photo of Chen Hao.",
        "The nurse draws the sheet over Chen Hao's face.",
        "Chen Hao's ashes sit in a plain urn on the shelf.",
    ],
)
def test_a_death_shown_counts(action: str) -> None:
    assert dies_then_speaks(action) == [("dead_character", 3)]


@pytest.mark.parametrize(
    "action",
    [
        "If the rope snaps, Chen Hao is dead.",
        "Chen Hao almost dies when the beam falls.",
        "Chen Hao plays dead until the guards pass.",
        "In the witch's glass eye, Chen Hao sees how he dies: old, in bed.",
        "Lin Mei tells the story of how Chen Hao died a hero.",
        "Chen Hao would rather die than kneel.",
        "The line goes dead. Chen Hao stares at the phone.",
        "Chen Hao lies in a hospital bed. The monitor flatlines. Chen Hao gasps awake.",
        "Lin Mei passes on the message to Chen Hao.",
    ],
)
def test_no_death_when_it_is_hypothetical_foreseen_told_or_undone(action: str) -> None:
    assert dies_then_speaks(action) == []


@pytest.mark.parametrize(
    "later",
    [
        "INT. ROOF - NIGHT (FLASHBACK)\n\nCHEN HAO\nOne day you'll understand.",
        "INT. TEMPLE - NIGHT - DREAM\n\nCHEN HAO\nWake up, Mei.",
        "INT. STUDY - NIGHT\n\nLin Mei unfolds his letter.\n\n"
        "CHEN HAO (V.O.)\nIf you read this, I'm gone.",
        "INT. STUDY - NIGHT\n\nLin Mei plays the tape.\n\n"
        "CHEN HAO\n(recorded)\nHappy birthday, Mei.",
        "INT. VILLAGE - DAY - THE STORY\n\nCHEN HAO\nThe dragon was this big.",
    ],
)
def test_the_dead_may_be_seen_and_heard_outside_the_present(later: str) -> None:
    assert found("INT. ROOF - NIGHT\n\nChen Hao dies.", later) == []


@pytest.mark.parametrize(
    ("lost", "used"),
    [
        ("Lin Mei takes out the jade pendant. She hurls it into the sea.", "the jade pendant"),
        ("Lin Mei holds the silver locket up to the light. It shatters in her fist.", "the locket"),
        ("Lin Mei unclasps her bracelet and burns it.", "her bracelet"),
        ("The music box slips from Lin Mei's hands and smashes on the tiles.", "the music box"),
        ("Lin Mei feeds the letter to the flames.", "the letter"),
        ("Lin Mei tosses the key away.", "the key"),
        ("Lin Mei snaps the fan in two.", "the fan"),
        ("Lin Mei flings the compass off the pier into the sea.", "the compass"),
    ],
)
def test_a_prop_lost_with_it_or_plainly_cannot_be_used_later(lost: str, used: str) -> None:
    later = f"INT. HALL - NIGHT\n\nLin Mei turns {used} over in her fingers, lost in thought."
    assert found(f"INT. PIER - DAY\n\n{lost}", later) == [("prop", 3)]


@pytest.mark.parametrize(
    "later",
    [
        "Lin Mei slips a new pendant, carved to match the lost one, onto its chain. "
        "Later she wears the pendant to dinner.",
        "Lin Mei buys a pendant at the night market.",
        "Lin Mei remembers the jade pendant, now lost.",
        "A diver hands Lin Mei the jade pendant; she found it after all. She wears the pendant.",
    ],
)
def test_a_replacement_a_new_one_or_a_memory_is_no_use_of_the_lost_prop(later: str) -> None:
    lost = "INT. PIER - DAY\n\nLin Mei hurls the jade pendant into the sea."
    assert found(lost, "INT. HALL - NIGHT\n\n" + later) == []


@pytest.mark.parametrize(
    "text",
    [
        "Lin Mei, thirty-one, walks in.",
        "Lin Mei (Thirty-Four) walks in.",
        "Lin Mei is forty years old today.",
        "The nineteen-year-old Lin Mei walks in.",
        "LIN MEI\nI'm thirty-nine, not a child.",
        "LIN MEI\nI am 35 years old.",
        "Lin Mei, now thirty-five, walks in.",
        "At thirty-eight, Lin Mei runs the company.",
    ],
)
def test_an_age_in_words_or_digits_against_the_cast(text: str) -> None:
    assert ("age", 2) in found("INT. HALL - DAY\n\n" + text)


@pytest.mark.parametrize(
    "text",
    [
        "Lin Mei, twenty-six, walks in.",
        "Lin Mei turns twenty-seven today.",
        "Lin Mei, 26, waits. The clock strikes nine.",
        "LIN MEI\nI've waited thirty-one days.",
        "At three, Lin Mei wakes to the phone.",
        "Lin Mei, 26, counts to forty.",
    ],
)
def test_an_age_that_agrees_or_a_number_that_is_no_age(text: str) -> None:
    assert found("INT. HALL - DAY\n\n" + text) == []


def test_an_intercut_phone_call_is_two_places_at_once_by_design() -> None:
    call = (
        "INT. MEI'S FLAT - NIGHT\n\nLin Mei dials.\n\nINTERCUT WITH:",
        "INT. HAO'S OFFICE - NIGHT (SAME TIME)\n\nChen Hao answers. Lin Mei paces.",
    )
    assert found(*call) == []
    plain = ("INT. MEI'S FLAT - NIGHT\n\nLin Mei waits.", call[1])
    assert found(*plain) == [("location", 3)]


ZH = [CanonCharacter("林梅", 26), CanonCharacter("陈浩", 29), CanonCharacter("苏小燕", 40)]


def zh(*blocks: str) -> list[tuple[str, int]]:
    return found(*blocks, cast=ZH)


@pytest.mark.parametrize(
    "action",
    [
        "陈浩从楼顶坠落，当场身亡。",
        "林梅看着陈浩。他倒在地上，断气了。",
        "陈浩的葬礼上，林梅默默流泪。",
        "灵堂里挂着陈浩的遗像。",
    ],
)
def test_chinese_deaths(action: str) -> None:
    blocks = ("INT. 天台 - 夜\n\n" + action, "INT. 咖啡馆 - 日\n\n陈浩\n我回来了。")
    assert zh(*blocks) == [("dead_character", 3)]


def test_chinese_exceptions_flashback_and_near_death() -> None:
    dies = "INT. 天台 - 夜\n\n陈浩当场身亡。"
    assert zh(dies, "INT. 天台 - 夜（回忆）\n\n陈浩\n三年前的事。") == []
    assert zh("INT. 天台 - 夜\n\n陈浩差点死了。", "INT. 咖啡馆 - 日\n\n陈浩\n我回来了。") == []


def test_chinese_speakers_names_and_ages() -> None:
    assert zh("INT. 大厅 - 日\n\n林妹\n你好。") == [("name_drift", 2)]
    assert zh("INT. 大厅 - 日\n\n王强\n你好。") == [("unknown_speaker", 2)]
    assert zh("INT. 大厅 - 日\n\n苏小雁推门进来。") == [("name_drift", 2)]
    assert zh("INT. 大厅 - 日\n\n林小姐推门进来。苏小燕笑了。") == []  # Miss Lin, no drift
    assert zh("INT. 大厅 - 日\n\n林梅（31岁）走进来。") == [("age", 2)]
    assert zh("INT. 大厅 - 日\n\n林梅\n我今年二十六岁。") == []


def test_chinese_extensions_in_full_width_brackets() -> None:
    dies = "INT. 天台 - 夜\n\n陈浩当场身亡。"
    assert (
        zh(
            dies,
            "INT. 书房 - 夜\n\n林梅打开信。\n\n陈浩（画外音）\n当你读到这封信时，我已经不在了。",
        )
        == []
    )
    assert zh(dies, "INT. 书房 - 夜\n\n陈浩（冷笑）\n我回来了。") == [("dead_character", 3)]
