"""Reading the screenplay text a small model writes into the room's scenes."""

from __future__ import annotations

import pytest

from writersroom.schemas import Beat, EpisodeOutline
from writersroom.screenplay import prose

CAST = ["Lin Mei", "Victor Hale", "Dr. Chen"]


def test_reads_name_colon_lines_with_beats_and_first_names() -> None:
    text = (
        "Sure! Here is scene 1.\n\n"
        "**INT. CITY HOSPITAL - ICU - NIGHT**\n\n"
        "Monitors beep. LIN MEI checks the drip of a man in a suit.\n\n"
        "LIN: (nodding) Your pulse is steady now.\n"
        "Victor Hale (weakly): Who pulled me out?\n"
        "Lin Mei: A nurse who reads files she should not.\n"
    )
    scene = prose.read_scene(text, 1, CAST)
    assert scene.heading == "INT. CITY HOSPITAL - ICU - NIGHT"
    assert scene.action == "Monitors beep. LIN MEI checks the drip of a man in a suit."
    assert [(line.speaker, line.parenthetical) for line in scene.lines] == [
        ("Lin Mei", "nodding"),
        ("Victor Hale", "weakly"),
        ("Lin Mei", ""),
    ]
    assert scene.lines[2].text == "A nurse who reads files she should not."


def test_reads_fountain_cues_and_stops_at_the_next_scene() -> None:
    text = (
        "EXT. ROOFTOP - NIGHT\n\nRain. Victor waits at the edge.\n\n"
        "VICTOR HALE\n(cold)\nYou came alone.\n\n"
        "LIN MEI\nI brought my father's file.\n\n"
        "INT. CAR - NIGHT\n\nLIN MEI\nThis belongs to another scene.\n"
    )
    scene = prose.read_scene(text, 2, CAST)
    assert scene.number == 2
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("Victor Hale", "You came alone."),
        ("Lin Mei", "I brought my father's file."),
    ]
    assert scene.lines[0].parenthetical == "cold"


def test_reads_chinese_with_full_width_colons() -> None:
    text = (
        "内景 医院病房 - 夜\n\n林梅握着病历，手在发抖。\n\n"
        "林梅：是你害了我父亲。\n沈总：你没有证据。\n"
    )
    scene = prose.read_scene(text, 1, ["林梅", "沈总"])
    assert scene.heading == "内景 医院病房 - 夜"
    assert [line.speaker for line in scene.lines] == ["林梅", "沈总"]


def test_reads_dialogue_written_as_prose_with_how_it_is_said() -> None:
    """What the embedded model writes for a Chinese premise: quoted speeches, each name with
    how it is said; a name the cast does not hold stays a stranger."""
    text = (
        "**INT. 夜班护士的病区 - NIGHT**\n\n李华站在病室内，突然接起电话。\n\n"
        "“李华：你好，我是李华。”\n"
        "张明回答道：“是的，我叫张明。”\n"
        "李华惊讶地问道：“你认识我父亲？”\n"
        "张明沉默了一会儿后说：“我不认识。”\n"
        "张三说：“我是路人。”\n"
    )
    scene = prose.read_scene(text, 1, ["李华", "张明"])
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("李华", "你好，我是李华。"),
        ("张明", "是的，我叫张明。"),
        ("李华", "你认识我父亲？"),
        ("张明", "我不认识。"),
    ]
    english = "INT. PIER - DAY\n\nFog.\n\nLin quietly asks: Is it his?\nVictor says: It was.\n"
    lines = prose.read_scene(english, 2, CAST).lines
    assert [(line.speaker, line.text) for line in lines] == [
        ("Lin Mei", "Is it his?"),
        ("Victor Hale", "It was."),
    ]


def test_reads_a_capital_cue_with_a_beat_in_lower_case() -> None:
    """What the embedded screenwriter wrote: `**OLIVIA (checking the guest list)**`, the speech
    below it."""
    text = (
        "INT. LIVING ROOM - DAY\n\nGuests' glasses everywhere.\n\n"
        "**LIN MEI (checking the guest list)**  \nThe name on the first row is wrong.\n\n"
        "**VICTOR HALE (from the stairs)**\nThen who is missing?\n"
    )
    scene = prose.read_scene(text, 1, CAST)
    assert scene.action == "Guests' glasses everywhere."
    assert [(line.speaker, line.parenthetical, line.text) for line in scene.lines] == [
        ("Lin Mei", "checking the guest list", "The name on the first row is wrong."),
        ("Victor Hale", "from the stairs", "Then who is missing?"),
    ]


def test_reads_a_cue_with_a_colon_above_its_speech() -> None:
    """What the embedded model wrote for the nurse premise: bold `NAME:` cues, a beat beside
    or under them, the speech below; a stranger's speech is neither a line nor action, and an
    answer that breaks off inside a beat leaves no line."""
    text = (
        "**INT. HOSPITAL - ROOM 210**\n\nRain on the window. Sarah checks his chart:\n\n"
        "**LIN MEI: (shaking)**\nYou framed my father.\n\n"
        "**MILKIE:** (angry)\nI don't believe you!\n\n"
        "Victor:\n(cold)\nProve it.\n\n"
        "**LIN MEI:** ("
    )
    scene = prose.read_scene(text, 1, CAST)
    assert scene.action == "Rain on the window. Sarah checks his chart:"
    assert [(line.speaker, line.parenthetical, line.text) for line in scene.lines] == [
        ("Lin Mei", "shaking", "You framed my father."),
        ("Victor Hale", "cold", "Prove it."),
    ]
    unspaced = (  # no blank line between the speeches
        "INT. ARCHIVE - NIGHT\n\nDust.\n\nLIN MEI:\nWait: what is this?\nMILKIE:\nNothing.\n"
        "VICTOR HALE\nIt is mine.\nLIN MEI: Then why is my name on it?\nShe drops it.\n"
    )
    scene = prose.read_scene(unspaced, 2, CAST)
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("Lin Mei", "Wait: what is this?"),
        ("Victor Hale", "It is mine."),
        ("Lin Mei", "Then why is my name on it?"),
    ]
    assert scene.action == "Dust. She drops it."


def test_keeps_a_repeated_line_once_and_drops_strangers() -> None:
    text = (
        "INT. OFFICE - DAY\n\nPapers everywhere.\n\n"
        "LIN MEI: You lied.\nLIN MEI: You lied.\nNARRATOR: Meanwhile...\nVICTOR HALE: Prove it.\n"
    )
    scene = prose.read_scene(text, 1, CAST)
    assert [line.text for line in scene.lines] == ["You lied.", "Prove it."]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Lin Mei: hello\nVictor Hale: hi", "no heading"),
        ("INT. OFFICE - DAY\n\nPapers everywhere.\n\nNARRATOR: Meanwhile.", "NARRATOR"),
        ("INT. OFFICE - DAY\n\nLIN MEI: hello\nVICTOR HALE: hi", "no action"),
    ],
)
def test_what_cannot_be_read_is_a_problem_to_send_back(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        prose.read_scene(text, 1, CAST)


def test_dialogue_written_as_prose_is_read_as_lines() -> None:
    """What the embedded screenwriter wrote for a scene 1: quoted speech, the speaker named
    before or after the quote; a speaker it cannot name stays out of the lines."""
    text = (
        "INT. WEDDING VENUE - DAY\n\n"
        "Lily enters the wedding venue, looking confident and elegant.\n\n"
        "\"Hi! I'm your ex-wife. It's great to see you here again.\"\n\n"
        'James shakes his head, "I can\'t believe it! You bought our company?"\n\n'
        '"Any news about your new job?" James asks, giving Lily a look of suspicion.\n\n'
        '"Alright," James says with an air of disbelief. "You\'re really getting rich!"\n\n'
        "“你到底是谁？”林梅问。\n"
    )
    scene = prose.read_scene(text, 1, ["Lily", "James", "林梅"])
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("James", "I can't believe it! You bought our company?"),
        ("James", "Any news about your new job?"),
        ("James", "Alright, You're really getting rich!"),
        ("林梅", "你到底是谁？"),
    ]
    assert scene.action.startswith("Lily enters the wedding venue, looking confident")


def test_a_sound_written_as_a_line_is_not_spoken() -> None:
    """The embedded screenwriter's first line of an episode: `LILY: WAKEUP SOUNDS`."""
    text = (
        "INT. HOSPITAL - DAY\n\nLily is asleep.\n\nLILY: WAKEUP SOUNDS\nJACK: You look nervous.\n"
        "LILY: GET OUT!\n"
    )
    lines = prose.read_scene(text, 1, ["Lily", "Jack"]).lines
    assert [line.text for line in lines] == ["You look nervous.", "GET OUT!"]


def test_narration_after_a_quoted_speech_is_not_spoken() -> None:
    text = (
        "INT. WEDDING VENUE - DAY\n\nGuests whisper.\n\n"
        'LILY: I know this is going to be a problem," Lily says as she approaches the venue.\n'
        "JAMES: \"I'm sorry, but I don't think so,\" James says. He shakes her hand.\n"
    )
    lines = prose.read_scene(text, 1, ["Lily", "James"]).lines
    assert [line.text for line in lines] == [
        "I know this is going to be a problem",
        "I'm sorry, but I don't think so",
    ]


def test_an_answer_without_a_heading_goes_on_where_the_scene_before_was() -> None:
    """What the embedded screenwriter wrote for a scene 2: the dialogue at once, the action
    after it, no heading."""
    text = (
        "Lin Mei: (quiet) You kept my mother's file.\n\nVictor Hale: It was never hers.\n\n"
        "Victor locks the cabinet and pockets the key."
    )
    scene = prose.read_scene(text, 2, CAST, "INT. ARCHIVE - NIGHT")
    assert scene.heading == "INT. ARCHIVE - NIGHT"
    assert scene.action == "Victor locks the cabinet and pockets the key."
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("Lin Mei", "You kept my mother's file."),
        ("Victor Hale", "It was never hers."),
    ]
    roof = "EXT. ROOF - DAY\n" + text
    assert prose.read_scene(roof, 2, CAST, "INT. ARCHIVE - NIGHT").heading == "EXT. ROOF - DAY"


def test_an_answer_without_action_has_the_outlines_beats_for_it() -> None:
    spoken = "EXT. ROOF - DAY\n\nLin Mei: Give me the key.\nVictor Hale: Take it."
    assert prose.read_scene(spoken, 2, CAST, "", "Mei takes the key.").action == (
        "Mei takes the key."
    )
    with pytest.raises(ValueError, match="no action"):
        prose.read_scene(spoken, 2, CAST)


@pytest.mark.parametrize(("beats", "sizes"), [(2, [1, 1]), (5, [2, 2, 1]), (12, [3, 3, 3, 3])])
def test_beats_are_shared_over_two_to_four_scenes(beats: int, sizes: list[int]) -> None:
    outline = EpisodeOutline(
        number=1,
        title="The File",
        hook="A flatline.",
        beats=[Beat(at_seconds=i, description=f"beat {i}") for i in range(beats)],
        reversal="He knew.",
        cliffhanger="She locks the door.",
        target_runtime_seconds=90,
    )
    plan = prose.scene_beats(outline)
    assert [len(scene) for scene in plan] == sizes
    assert [b.description for scene in plan for b in scene] == [f"beat {i}" for i in range(beats)]


def test_a_speech_that_runs_on_into_other_speakers_is_split_into_their_turns() -> None:
    """What the embedded model wrote for a held-out premise: one line holding three turns."""
    text = (
        "INT. RESTAURANT - DAY\n\nLin Mei sets down the plate.\n\n"
        "LIN MEI: (angry) Who are you? I never cooked for you! Victor: No, you did not. "
        "LIN MEI: Then why come?\n"
        "VICTOR HALE: Note: the soup is cold. Really.\n"
    )
    lines = prose.read_scene(text, 1, CAST).lines
    assert [(line.speaker, line.text, line.parenthetical) for line in lines] == [
        ("Lin Mei", "Who are you? I never cooked for you!", "angry"),
        ("Victor Hale", "No, you did not.", ""),
        ("Lin Mei", "Then why come?", ""),
        ("Victor Hale", "Note: the soup is cold. Really.", ""),  # "Note" is nobody: one line
    ]


def test_decoding_junk_is_left_out_of_what_is_read() -> None:
    from writersroom.screenplay.prose import read_scene

    text = (
        "INT. HOSPITAL - ICU - NIGHT\n\nLin checks the monitor. L. E. V. E. O. EOT\n\n"
        "LIN: Who moved the file? <|im_end|>\nVICTOR: I did.\n"
    )
    scene = read_scene(text, 1, ["Lin", "Victor"])
    assert scene.action == "Lin checks the monitor."
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("Lin", "Who moved the file?"),
        ("Victor", "I did."),
    ]


def test_a_sentence_said_again_in_the_action_is_kept_once() -> None:
    from writersroom.screenplay.prose import read_scene

    looping = "She knows she must act soon, or her family may be killed."
    text = (
        f"INT. HOSPITAL - CORRIDOR - NIGHT\n\nSarah runs. {looping} {looping} "
        "She stops at a door.\n\nSARAH: Open it.\nMICHAEL: No.\n"
    )
    scene = read_scene(text, 2, ["Sarah", "Michael"])
    assert scene.action == f"Sarah runs. {looping} She stops at a door."
    chinese = read_scene(
        "INT. 医院 - 夜\n\n李华走进病房。她看见了文件。李华走进病房。\n\n"
        "李华：你是谁？\n张明：医生。\n",
        1,
        ["李华", "张明"],
    )
    assert chinese.action == "李华走进病房。她看见了文件。"


def test_a_heading_that_runs_on_after_its_time_of_day_ends_there_and_the_rest_is_action() -> None:
    """What the embedded screenwriter wrote as a scene 2 heading (the reader had kept it all,
    in capitals, as the heading)."""
    text = (
        "INT. Hotel room - Day, where Eva and John meet. Eva sits at a table by the window.\n\n"
        "John hands her the ring.\n\nLin Mei: You kept it.\nVictor Hale: I kept everything."
    )
    scene = prose.read_scene(text, 2, CAST)
    assert scene.heading == "INT. HOTEL ROOM - DAY"
    assert scene.action == (
        "Eva and John meet. Eva sits at a table by the window. John hands her the ring."
    )
    chinese = prose.read_scene(
        "内景 医院病房 - 晚上。林梅走进病房。\n\n沈总：你来了。", 1, ["林梅", "沈总"]
    )
    assert (chinese.heading, chinese.action) == ("内景 医院病房 - 晚上", "林梅走进病房。")
    for heading in ("INT. MR. SMITH'S HOUSE - NIGHT", "EXT. ROOF - DAY (FLASHBACK)"):
        kept = prose.read_scene(f"{heading}\n\nRain.\n\nLin Mei: Go.", 1, CAST)
        assert (kept.heading, kept.action) == (heading, "Rain.")


def test_speeches_written_as_a_list_are_read_as_their_speakers_lines() -> None:
    """What the embedded screenwriter wrote for a wedding scene: the reader had kept every row,
    dashes and other speakers' names included, as the first speaker's ten lines."""
    text = (
        "INT. WEDDING HALL - DAY\n\nThe guests turn as Mei walks in.\n\nVICTOR HALE\n"
        "- This isn't right.\n-JULIA:\n- We need to know what's happening!\n"
        "-LIN MEI: It's all a big lie.\n-Victor: What do you mean?\n\n"
        "1. Lin Mei: (smiling) Everything."
    )
    scene = prose.read_scene(text, 1, CAST)
    assert [(line.speaker, line.text) for line in scene.lines] == [
        ("Victor Hale", "This isn't right."),
        ("Lin Mei", "It's all a big lie."),
        ("Victor Hale", "What do you mean?"),
        ("Lin Mei", "Everything."),
    ]
    assert scene.action == "The guests turn as Mei walks in."


def test_a_cue_with_the_role_after_the_name_is_the_characters_cue() -> None:
    """The embedded model wrote "EMILY BROWN, SECRET AGENT: (sitting at a table) Hi, Daniel!"
    for the debt collector; a row with a comma that is not a cast member's cue stays action."""
    text = (
        "INT. TEA HOUSE - DAY\n\n"
        "Later, that night: rain on the glass. Lin, the nurse (30), waits.\n\n"
        "LIN MEI, NIGHT NURSE: (sitting by the door) You came.\n"
        "Victor Hale, the patient (coldly): I owe you my life.\n"
        "VICTOR HALE, BILLIONAIRE:\nAnd you owe me nothing.\n"
    )
    scene = prose.read_scene(text, 1, CAST)
    assert [(line.speaker, line.parenthetical, line.text) for line in scene.lines] == [
        ("Lin Mei", "sitting by the door", "You came."),
        ("Victor Hale", "coldly", "I owe you my life."),
        ("Victor Hale", "", "And you owe me nothing."),
    ]
    assert scene.action == "Later, that night: rain on the glass. Lin, the nurse (30), waits."


def test_beats_are_told_as_sentences() -> None:
    """An action made of the beats ran on as one sentence where they had no stops."""
    beats = [
        Beat(at_seconds=0, description="The guests make fun of her voice"),
        Beat(at_seconds=5, description="Lily reveals the truth!"),
        Beat(at_seconds=9, description="林梅拿出病历"),
    ]
    assert prose.beats_told(beats) == (
        "The guests make fun of her voice. Lily reveals the truth! 林梅拿出病历。"
    )


@pytest.mark.parametrize(
    ("answer", "action"),
    [
        (
            "INT. FLAT - DAY, where Olivia looks at the mirror. She gasps.",
            "Olivia looks at the mirror. She gasps.",
        ),
        (
            "INT. FLAT - DAY\n\nwith Olivia and her twin sister, Isabella",
            "Olivia and her twin sister, Isabella",
        ),
        (
            "INT. BAR - NIGHT\n\nset at the bar where they met. Rain.",
            "The bar where they met. Rain.",
        ),
        ("INT. BAR - NIGHT\n\nvictor waits.", "Victor waits."),
        (
            "INT. BAR - NIGHT\n\nas the rain falls, Victor waits.",
            "As the rain falls, Victor waits.",
        ),
    ],
)
def test_an_action_that_goes_on_from_its_heading_begins_as_a_sentence(
    answer: str, action: str
) -> None:
    """The embedded model went on from a heading's time of day: "where Olivia is looking at the
    mirror.", "with Olivia, Isabella, and her best friend Sarah"."""
    scene = prose.read_scene(f"{answer}\n\nLIN MEI: Who is there?\n", 2, CAST)
    assert scene.action == action


def test_a_speech_with_its_beat_and_no_colon_is_a_line_and_a_beat_said_twice_is_kept_once() -> None:
    """The embedded model's rewrite of the revenge premise: "John (smiling, smiling) Oh, yeah?
    Well, we bought our company together." in the action, and "(sarcastic, sarcastic)" beats."""
    text = (
        "INT. WEDDING VENUE - DAY\n\nLin Mei (26) enters. Victor (quietly) walks to the bar.\n\n"
        "Victor Hale (smiling, smiling) Oh, yeah? Well, we bought it together.\n\n"
        "LIN MEI\n(sarcastic, sarcastic)\nGood for you.\n"
    )
    scene = prose.read_scene(text, 1, CAST)
    assert [(line.speaker, line.parenthetical, line.text) for line in scene.lines] == [
        ("Victor Hale", "smiling", "Oh, yeah? Well, we bought it together."),
        ("Lin Mei", "sarcastic", "Good for you."),
    ]
    assert scene.action == "Lin Mei (26) enters. Victor (quietly) walks to the bar."
