"""The deterministic checks that keep repeated, one-voiced or premise-less drafts out."""

from __future__ import annotations

import pytest

from writersroom.continuity import quality
from writersroom.schemas import Character, EpisodeLogline, Line, Scene, Script, SeriesBible


def scene(number: int, action: str, *lines: tuple[str, str]) -> Scene:
    return Scene(
        number=number,
        heading=f"INT. PLACE {number} - NIGHT",
        action=action,
        lines=[Line(speaker=s, text=t) for s, t in lines],
    )


GOOD = Script(
    episode=1,
    title="The File",
    scenes=[
        scene(1, "A flatline in the ICU; Mei shocks the patient back.", ("Mei", "Stay with me!")),
        scene(
            2,
            "Mei finds a police file in his jacket.",
            ("Mei", "Why do you have my father's file?"),
            ("Victor", "Because I wrote it."),
        ),
    ],
)


def test_a_clean_script_has_no_problems() -> None:
    assert quality.script_problems(GOOD) == []


def test_repeated_scene_action_and_lines_are_found_with_their_place() -> None:
    copy = GOOD.model_copy(deep=True)
    again = copy.scenes[1].model_copy(update={"number": 3})
    copy.scenes.append(again)
    copy.scenes[0].lines.append(Line(speaker="Mei", text="Stay  with me"))
    problems = quality.script_problems(copy)
    texts = [str(p) for p in problems]
    assert any("scene 3's action repeats scene 2's" in t for t in texts)
    assert any("line 2 of scene 1 is said twice" in t for t in texts)
    assert sum("repeats a line of scene 2" in t for t in texts) == 2
    issue = problems[0].as_issue()
    assert (issue.severity, issue.found_by, issue.scene) == ("error", "rules", problems[0].scene)


def test_one_speaker_is_not_a_drama() -> None:
    lonely = Script(episode=1, title="Alone", scenes=[scene(1, "Rain.", ("Mei", "Hello?"))])
    assert ["only Mei speaks" in str(p) for p in quality.script_problems(lonely)] == [True]


def test_one_speaker_talking_on_while_others_wait_is_a_monologue() -> None:
    said = [("Lily", f"Line number {n} about the lighthouse.") for n in range(1, 6)]
    talky = scene(1, "The lamp room.", ("Tom", "You came back."), *said, ("Tom", "Why now?"))
    problems = quality.script_problems(Script(episode=1, title="Lamp", scenes=[talky]))
    assert [(p.kind, p.line) for p in problems] == [("monologue", 2)]
    assert "Lily says lines 2-6 in a row" in str(problems[0])
    three = scene(1, "The lamp room.", ("Tom", "Well?"), *said[:3], ("Tom", "Go on."))
    assert quality.monologues(three) == []
    alone = scene(1, "A voicemail.", *said)  # one speaker alone: that is another check's
    assert quality.monologues(alone) == []


@pytest.mark.parametrize(
    ("action", "text"),
    [
        ("L. E. V. E. O. EOT", "Who is there?"),
        ("Mei reads the file.", "It was you all along. <|im_end|>"),
        ("李华站在门口。EOT", "你是谁？"),
    ],
)
def test_decoding_junk_in_action_or_lines_is_found(action: str, text: str) -> None:
    junky = scene(1, action, ("Mei", text), ("Victor", "Sit down."))
    problems = quality.script_problems(Script(episode=1, title="Junk", scenes=[junky]))
    assert [p.kind for p in problems] == ["junk"]
    assert "holds junk" in str(problems[0])


def test_initials_and_short_words_are_not_junk() -> None:
    fine = scene(
        1,
        "A. J. Chen signs for a crate stamped U. S. A.; go, go, go.",
        ("Mei", "I am a nurse."),
        ("Victor", "And I am your patient."),
    )
    assert quality.junk(fine) == []


def bible(logline: str, roles: list[str], arc: list[str]) -> SeriesBible:
    return SeriesBible(
        title="Night Shift",
        logline=logline,
        genre="revenge drama",
        tone="tense",
        world="A private hospital in a rich city.",
        characters=[
            Character(
                name=name,
                role=role,
                age=30,
                look="a plain uniform",
                voice="low",
                arc="learns the truth",
            )
            for name, role in zip(["Lin Mei", "Victor Hale", "Lin Guo"], roles, strict=False)
        ],
        season_arc=[EpisodeLogline(number=i, logline=text) for i, text in enumerate(arc, 1)],
    )


PREMISE = (
    "A night-shift nurse learns the billionaire patient she saved is the man who framed her "
    "father for murder."
)


def test_the_premise_roles_must_survive_into_the_bible_and_logline() -> None:
    kept = bible(
        "A nurse saves a billionaire, then learns he framed her father.",
        ["night nurse", "billionaire patient", "her father, in prison"],
        ["She saves him.", "She finds the file."],
    )
    assert quality.bible_problems(kept, PREMISE) == []
    lost = bible(
        "A woman meets a rich man.",
        ["heroine", "tycoon", "friend"],
        ["She saves him.", "She finds the file."],
    )
    problems = quality.bible_problems(lost, PREMISE)
    assert any("father, nurse, patient" in p for p in problems)
    assert any("logline drops" in p for p in problems)


def test_chinese_premise_roles() -> None:
    assert quality.premise_roles("夜班护士发现她救下的亿万富翁病人陷害了她的父亲") == {
        "nurse",
        "billionaire",
        "patient",
        "father",
    }


def test_copied_loglines_with_other_names_are_found() -> None:
    copied = bible(
        "A nurse saves a billionaire patient who framed her father.",
        ["nurse", "billionaire patient", "father"],
        [
            "Lin Mei discovers the truth about the hospital and must decide whom to trust.",
            "Victor Hale discovers the truth about the hospital and must decide whom to trust.",
            "Lin Guo is arrested at dawn.",
        ],
    )
    problems = quality.bible_problems(copied, PREMISE)
    assert problems == [
        "the logline of episode 2 copies episode 1's; each episode needs its own event"
    ]


def test_characters_named_by_what_they_are() -> None:
    named = bible("A nurse saves a billionaire.", ["nurse", "patient", "father"], ["x"])
    assert quality.role_names(named) == []
    for names, expected in [
        (["Nurse", "The Patient", "Lin Guo"], ["Nurse", "The Patient"]),
        (["Dr. Lin", "Old Father", "Nurses"], ["Old Father", "Nurses"]),
        (["护士", "林梅", "富豪"], ["护士", "富豪"]),
        (["Victor Nurse", "Doctor Who", "Detective Lin"], []),  # a name in it: kept
    ]:
        pairs = zip(named.characters, names, strict=True)
        cast = [c.model_copy(update={"name": n}) for c, n in pairs]
        renamed = named.model_copy(update={"characters": cast})
        faults, notes = quality.first_draft_faults(renamed, "A nurse saves a billionaire.")
        assert quality.role_names(renamed) == expected
        assert faults >= len(expected)
        assert all(n in notes for n in expected)


ASKED = (
    "You write one scene at a time as a screenplay: first the scene heading, then one short "
    "paragraph of action in the present tense. Only the characters listed speak. Write in the "
    "language of the series bible. Now write scene 2 of 3 only. At least two characters speak, "
    "in 3 to 8 lines. Notes on the previous draft, to address now: The previous draft of this "
    "scene:"
)


def scene_with(action: str, *lines: str) -> Scene:
    said = [Line(speaker="Lin Mei", text=t) for t in lines or ("Go.",)]
    return Scene(number=2, heading="INT. WARD - NIGHT", action=action, lines=said)


def test_echoes_of_the_instructions_are_cut_from_the_action() -> None:
    story = "Mei pockets the file. Victor wakes and watches her."
    for echo in [
        "Now write scene 2 of 3 only.",
        # the next scene's instructions, made up: other numbers, the same words
        "Now write scene 3 of 3 only: The widow asks Victor for money.",
        "At least two characters speak, in 3 to 8 lines Cliffhanger: she must run.",
        "Notes on the previous draft, to address now: Continuity (scene 2) The previous draft "
        "of this scene:",
        "Now continue with scene 3, which will include further dialogue between them.",
        "The continuity report warns the screenwriter about the first scene.",
        "This episode ends on a cliffhanger in the last scene.",
    ]:
        cut = quality.without_echoes(scene_with(f"{story} {echo}"), ASKED)
        assert cut.action == story, echo
    kept = (
        "At the crime scene, Detective Wu notes the chalk outline. She speaks in the language "
        "of the old country. The draft of his will lies on the desk. Rain."
    )
    assert quality.without_echoes(scene_with(kept), ASKED).action == kept
    lines = quality.without_echoes(scene_with(story, "Now write scene 2 of 3 only.", "Run."), ASKED)
    assert [line.text for line in lines.lines] == ["Run."]
    with pytest.raises(ValueError, match="repeats the instructions"):
        quality.without_echoes(scene_with("Now write scene 2 of 3 only."), ASKED)
    told = "Chen Hao catches her with the file."  # the outline's beats for the scene
    echo = quality.without_echoes(scene_with("Now write scene 2 of 3 only.", "Run."), ASKED, told)
    assert echo.action == told and [line.text for line in echo.lines] == ["Run."]


@pytest.mark.parametrize(
    ("premise", "roles"),
    [
        (
            "A lighthouse keeper's daughter finds her drowned mother's diary in the new owner's "
            "desk.",
            {"keeper", "daughter", "mother", "owner"},
        ),
        (
            "A disgraced chef cooks for the food critic who ended her career.",
            {"chef", "critic"},
        ),
        (
            "A debt collector falls for the widow whose house he came to seize.",
            {"collector", "widow"},
        ),
        ("A broke violinist marries a cold CEO.", {"musician", "ceo"}),
        ("房东的女儿爱上了欠债的租客", {"owner", "daughter", "tenant"}),
    ],
)
def test_the_premises_trades_and_relations_are_its_roles(premise: str, roles: set[str]) -> None:
    assert quality.premise_roles(premise) == roles


def test_a_role_is_kept_by_any_word_of_its_family() -> None:
    kept = bible(
        "A pianist falls for the landlord she owes.",
        ["musician", "landlord"],
        ["She plays for him.", "He raises the rent."],
    )
    assert quality.lost_roles(kept, "A broke violinist falls for her owner.") == []
    assert quality.lost_roles(kept, "A debt collector falls for a violinist.") == ["collector"]
