"""The screenwriter writing screenplay text scene by scene (the embedded model's way)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import answers, make_project, rows, wr

from writersroom.providers.scripted import read_calls

SCENE_1 = (
    "Here is the scene.\n\nINT. LIN TOWER BOARDROOM - DAY\n\n"
    "Mei freezes; a tray of cups shatters at her feet.\n\n"
    "LIN YUE: (smiling) You dropped something, cleaner.\n"
    "MEI: Sorry, Miss Lin.\n"
)
SCENE_2_REPEATING = (
    "INT. ARCHIVE - NIGHT\n\nMei pulls a yellowed file.\n\n"
    "LIN MEI: Sorry, Miss Lin.\nCHEN HAO: That file is not yours to read.\n"
)
SCENE_2 = (
    "INT. ARCHIVE - NIGHT\n\nMei pulls a yellowed file. Chen Hao steps out of the dark.\n\n"
    "CHEN HAO\nThat file is not yours to read.\n\nLIN MEI\n(quiet)\nIt has my name on it.\n"
)


def run_with_a_prose_screenwriter(
    tmp_path: Path, replies: dict
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A run whose screenwriter writes screenplay text (scripted replies), the others JSON."""
    project = make_project(
        tmp_path / "p",
        replies,
        extra_toml='screenwriter = "prose:answers.json"\n\n'
        '[providers.prose]\nkind = "scripted"\nscript_format = "fountain"\n',
    )
    return project, wr("run", "Twin sisters swapped at birth", "--auto", "--dir", str(project))


def saved_scenes(project: Path) -> list[dict]:
    """The scenes of the one script draft the run saved."""
    (script,) = rows(project, "select content from drafts where kind = 'script'")
    return json.loads(script[0])["scenes"]


def test_scenes_are_written_one_by_one_and_a_repeat_is_sent_back(tmp_path: Path) -> None:
    replies = answers() | {"write_scene": [SCENE_1, SCENE_2_REPEATING, SCENE_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    scenes = saved_scenes(project)
    assert [s["heading"] for s in scenes] == [
        "INT. LIN TOWER BOARDROOM - DAY",
        "INT. ARCHIVE - NIGHT",
    ]
    assert [(line["speaker"], line["text"]) for line in scenes[1]["lines"]] == [
        ("Chen Hao", "That file is not yours to read."),
        ("Lin Mei", "It has my name on it."),
    ]
    assert scenes[0]["lines"][0]["parenthetical"] == "smiling"
    usage = rows(project, "select task, problem, refused from usage where agent = 'screenwriter'")
    assert [task for task, _, _ in usage] == ["write_scene"] * 3
    assert "repeats a line of scene 1" in usage[1][1]
    assert usage[1][2] == SCENE_2_REPEATING  # the refused answer is kept as written
    assert usage[0][1:] == usage[2][1:] == ("", "")
    calls = [c for c in read_calls(project) if c["task"] == "write_scene"]
    # scene 2 is written after what scene 1 covered, not its words (a small model copies them)
    asked = calls[1]["messages"][1]["content"]
    assert "Scene 1, set at INT. LIN TOWER BOARDROOM - DAY, where Lin Yue, Lin Mei spoke:" in asked
    assert "Sorry, Miss Lin." not in asked
    assert "Now write scene 2 of 2 only" in asked
    # the re-ask is the same request, told what was wrong, without the refused answer
    again = calls[2]["messages"]
    assert [m["role"] for m in again] == ["system", "human"]
    assert again[1]["content"].startswith(asked)
    assert "refused: line 1 of scene 2" in again[1]["content"]
    assert "repeats a line of scene 1" in again[1]["content"]
    assert "Model time per agent" in result.stderr


def test_a_script_that_repeats_itself_goes_back_before_the_editor_reads_it(tmp_path: Path) -> None:
    clean = answers()["write_script"][0]
    repeating = json.loads(json.dumps(clean))
    repeating["scenes"][1]["lines"][0]["text"] = clean["scenes"][0]["lines"][0]["text"]
    replies = answers() | {"write_script": [repeating, clean]}
    project = make_project(tmp_path / "p", replies)
    result = wr("run", "Twin sisters swapped at birth", "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    tasks = [task for (task,) in rows(project, "select task from usage order by id")]
    written = [i for i, task in enumerate(tasks) if task == "write_script"]
    reviewed = [i for i, task in enumerate(tasks) if task == "review_script"]
    assert len(written) == 2 and len(reviewed) == 1 and written[1] < reviewed[0]
    checked = [i for i, task in enumerate(tasks) if task == "check_continuity"]
    assert len(checked) == 1 and checked[0] > written[1]  # no model reads the repeating draft
    (first_report,) = rows(
        project, "select content from drafts where kind = 'continuity' and revision = 1"
    )
    issues = json.loads(first_report[0])["issues"]
    assert any(
        i["found_by"] == "rules"
        and i["scene"] == 2
        and "repeats a line of scene 1" in i["description"]
        for i in issues
    )
    rewrite = [c for c in read_calls(project) if c["task"] == "write_script"][1]
    assert "Fix: line 1 of scene 2" in rewrite["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("faulty_2", "note"),
    [
        (  # a script problem, found before the editor reads it
            "CHEN HAO: That file is not yours.\nCHEN HAO: Put it down.\nCHEN HAO: Now.\n"
            "CHEN HAO: I will not ask again.\nLIN MEI: It has my name on it.\n",
            "Fix: in scene 2, Chen Hao says lines 1-4 in a row",
        ),
        (  # a continuity error the rules found, where the editor approves
            "CHEN HAO: I am sixty years old.\nLIN MEI: It has my name on it.\n",
            "Continuity (scene 2, line 1: Chen Hao is said to be 60",
        ),
    ],
)
def test_a_fault_in_one_scene_rewrites_that_scene_only(
    tmp_path: Path, faulty_2: str, note: str
) -> None:
    """Review found a fault in scene 2 only: scene 2 is written again, told what to fix but
    not shown its previous words, and scene 1 stays as the first draft had it (no model call
    for it)."""
    faulty_2 = f"INT. ARCHIVE - NIGHT\n\nMei pulls a yellowed file.\n\n{faulty_2}"
    replies = answers() | {"write_scene": [SCENE_1, faulty_2, SCENE_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    drafts = [
        json.loads(content)["scenes"]
        for (content,) in rows(
            project, "select content from drafts where kind = 'script' order by revision"
        )
    ]
    assert len(drafts) == 2
    assert drafts[1][0] == drafts[0][0]
    assert [line["text"] for line in drafts[1][1]["lines"]] == [
        "That file is not yours to read.",
        "It has my name on it.",
    ]
    calls = [c for c in read_calls(project) if c["task"] == "write_scene"]
    assert len(calls) == 3
    asked = calls[2]["messages"][-1]["content"]
    assert "Now write scene 2 of 2 only" in asked
    assert note in asked
    assert "Mei pulls a yellowed file." not in asked  # asked afresh: shown, it came back


def test_garbage_left_unfixed_blocks_approval_even_with_auto(tmp_path: Path) -> None:
    clean = answers()["write_script"][0]
    repeating = json.loads(json.dumps(clean))
    repeating["scenes"][1]["lines"][0]["text"] = clean["scenes"][0]["lines"][0]["text"]
    project = make_project(tmp_path / "p", answers() | {"write_script": [repeating]})
    result = wr("run", "Twin sisters swapped at birth", "--auto", "--dir", str(project))
    assert rows(project, "select count(*) from usage where task = 'write_script'") == [(3,)]
    assert rows(project, "select count(*) from usage where task = 'plan_shots'") == [(0,)]
    assert "approve_script" in result.stdout + result.stderr


def test_action_that_echoes_the_instructions_is_cut_and_all_echo_becomes_the_beats(
    tmp_path: Path,
) -> None:
    """An echo is cut from the action; an action that is nothing but echo becomes what the
    outline says happens in the scene, and its dialogue is kept, not asked for again."""
    echoing_1 = SCENE_1.replace(
        "at her feet.",
        "at her feet. Now continue with scene 2 of 2, which will include further dialogue "
        "between the sisters. Only the characters listed speak, under their names.",
    )
    only_echo_2 = (
        "INT. ARCHIVE - NIGHT\n\nAt least two characters speak, in 3 to 8 lines. The scenes so "
        "far: the boardroom.\n\nCHEN HAO: That file is not yours to read.\nLIN MEI: It has my "
        "name on it.\n"
    )
    replies = answers() | {"write_scene": [echoing_1, only_echo_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    scenes = saved_scenes(project)
    assert [s["action"] for s in scenes] == [
        "Mei freezes; a tray of cups shatters at her feet.",
        "Chen Hao catches her with it.",  # the outline's beat for scene 2, told as a sentence
    ]
    assert [line["text"] for line in scenes[1]["lines"]] == [
        "That file is not yours to read.",
        "It has my name on it.",
    ]
    problems = [p for (p,) in rows(project, "select problem from usage where task = 'write_scene'")]
    assert problems == ["", ""]


def test_action_that_copies_the_summary_of_the_scenes_so_far_is_cut(tmp_path: Path) -> None:
    """What the embedded screenwriter wrote as scene 2's action: the prompt's summary of scene
    1 (its frame and its beats) and fields of the prompt, before a sentence of its own."""
    copying_2 = SCENE_2.replace(
        "Mei pulls a yellowed file.",
        "LIN TOWER BOARDROOM - DAY, where Lin Yue, Lin Mei spoke: Mei is humiliated by Yue "
        "Mei finds the birth record. - Scene 2, set at INT. the archive. Cliffhanger: Mei is "
        "caught. Mei pulls a yellowed file.",
    )
    replies = answers() | {"write_scene": [SCENE_1, copying_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    actions = [s["action"] for s in saved_scenes(project)]
    assert actions[1] == "Mei pulls a yellowed file. Chen Hao steps out of the dark."


def test_the_opening_scene_comes_to_its_first_line_within_seconds(tmp_path: Path) -> None:
    """Scene 1's action is held to what is read in five seconds (its first sentence at least);
    the opening is asked to come to its first line at once."""
    slow_1 = SCENE_1.replace(
        "Mei freezes; a tray of cups shatters at her feet.",
        "Mei freezes; a tray of cups shatters at her feet. The boardroom falls silent as every "
        "director turns to look at the cleaner. Rain streaks the tall windows behind them.",
    ).replace("MEI: Sorry", "Lin Yue laughs.\n\nMEI: Sorry")
    slow_2 = SCENE_2.replace(
        "Mei pulls a yellowed file.",
        "Mei pulls a yellowed file from a box marked with her mother's name. Dust rises.",
    )
    replies = answers() | {"write_scene": [slow_1, slow_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    scenes = saved_scenes(project)
    assert scenes[0]["action"] == "Mei freezes; a tray of cups shatters at her feet."
    assert [line["text"] for line in scenes[0]["lines"]] == [
        "You dropped something, cleaner.",
        "Sorry, Miss Lin.",
    ]
    assert scenes[1]["action"] == (  # a later scene keeps its whole action
        "Mei pulls a yellowed file from a box marked with her mother's name. Dust rises. "
        "Chen Hao steps out of the dark."
    )
    first, last = [
        c["messages"][1]["content"] for c in read_calls(project) if c["task"] == "write_scene"
    ]
    assert "then the first line at once" in first
    assert "then the first line at once" not in last


def test_an_opening_sentence_too_long_to_read_in_seconds_ends_at_a_clause(tmp_path: Path) -> None:
    """The embedded model opened the revenge premise on one sentence read in 5 s or more: "Lily
    enters the venue with a confident and elegant demeanor, her eyes darting around at the
    guests as she approaches."; it is held to its clauses read within five seconds."""
    long_1 = SCENE_1.replace(
        "Mei freezes; a tray of cups shatters at her feet.",
        "Mei freezes in the doorway with a tray of cups, her eyes darting from face to face "
        "as the directors turn to stare at her.",
    )
    replies = answers() | {"write_scene": [long_1, SCENE_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    scenes = saved_scenes(project)
    assert scenes[0]["action"] == "Mei freezes in the doorway with a tray of cups."


@pytest.mark.parametrize(
    ("tail", "kept"),
    [
        ("MEI: Then we leave tonight.\nCHEN HAO: Fine, tonight.\n", 2),  # talked down: cut
        ("MEI: Then we leave tonight.\nCHEN HAO: Yue watches us on the feed.\n", 4),
    ],
)
def test_the_closing_scene_ends_on_its_last_open_line(tmp_path: Path, tail: str, kept: int) -> None:
    """Lines after the closing scene's last open line are cut, unless they say the outline's
    cliffhanger ("Yue watches them on the security feed")."""
    closing = SCENE_2 + "\nMEI: Who signed it?\n" + tail
    replies = answers() | {
        "write_scene": [SCENE_1, closing.replace("\nMEI: Who", "\nLIN MEI: Who")]
    }
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    lines = saved_scenes(project)[1]["lines"]
    assert len(lines) == 1 + kept
    assert lines[2]["text"] == "Who signed it?"


@pytest.mark.parametrize(
    ("low", "rewritten"),
    [
        ({"hook": 2}, ["scene 1"]),  # the opening's
        ({"cliffhanger": 2}, ["scene 2"]),  # the closing scene's
        ({"hook": 2, "cliffhanger": 1}, ["scene 1", "scene 2"]),
        ({"hook": 2, "conflict": 2}, ["scene 1", "scene 2"]),  # the whole script's
    ],
)
def test_the_editors_low_scores_rewrite_the_scenes_they_are_about(
    tmp_path: Path, low: dict[str, int], rewritten: list[str]
) -> None:
    scores = answers()["review_script"][0]["scores"]
    review = [
        {"scores": {**scores, **low}, "verdict": "revise", "notes": ["Sharper"]},
        {"scores": scores, "verdict": "approve", "notes": ["Good"]},
    ]
    again = {
        "scene 1": SCENE_1.replace("You dropped something", "You dropped this"),
        "scene 2": SCENE_2.replace("not yours", "never yours"),
    }
    replies = answers() | {
        "write_scene": [SCENE_1, SCENE_2, *(again[name] for name in rewritten)],
        "review_script": review,
    }
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    asked = [c["messages"][1]["content"] for c in read_calls(project) if c["task"] == "write_scene"]
    assert len(asked) == 2 + len(rewritten)
    assert [f"scene {n}" for a in asked[2:] for n in (1, 2) if f"write scene {n} of" in a] == (
        rewritten
    )
    assert all("Editor: Sharper" in a for a in asked[2:])
    drafts = [
        json.loads(content)["scenes"]
        for (content,) in rows(
            project, "select content from drafts where kind = 'script' order by revision"
        )
    ]
    kept = {1, 2} - {int(name[-1]) for name in rewritten}
    assert all(drafts[1][n - 1] == drafts[0][n - 1] for n in kept)


def test_a_character_met_in_an_earlier_scene_is_not_introduced_again_in_capitals(
    tmp_path: Path,
) -> None:
    scene_2 = SCENE_2.replace(
        "Mei pulls a yellowed file.", "MEI pulls a yellowed file. LIN YUE is gone. CCTV blinks."
    )
    replies = answers() | {"write_scene": [SCENE_1, scene_2]}
    project, result = run_with_a_prose_screenwriter(tmp_path, replies)
    assert result.returncode == 0, result.stderr
    assert saved_scenes(project)[1]["action"] == (
        "Mei pulls a yellowed file. Lin Yue is gone. CCTV blinks. Chen Hao steps out of the dark."
    )
