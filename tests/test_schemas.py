"""Domain schemas and their cross-checks."""

from __future__ import annotations

import pytest
from conftest import answers
from pydantic import ValidationError

from writersroom.schemas import (
    ContinuityIssue,
    Critique,
    Decision,
    EpisodeOutline,
    Premise,
    Script,
    SeriesBible,
    ShotList,
)


def bible() -> SeriesBible:
    return SeriesBible.model_validate(answers()["develop_series"][0])


def test_every_speaker_must_be_a_character_of_the_bible() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    script.check_cast(bible())  # the recorded script is consistent
    script.scenes[1].lines[0].speaker = "Lin Wei"  # a near-miss of Lin Mei
    with pytest.raises(ValueError, match="speakers not in the bible: Lin Wei"):
        script.check_cast(bible())


def test_speaker_names_match_without_case_or_padding() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    script.scenes[0].lines[0].speaker = "lin yue"
    script.check_cast(bible())


def test_shots_must_point_at_existing_scenes_lines_and_characters() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    shots.check_against(script, bible())
    assert shots.total_seconds() == 15
    shots.shots[1].lines = [3]
    shots.shots[2].characters = ["Grandma Lin"]
    shots.shots[3].scene = 9
    with pytest.raises(ValueError) as err:
        shots.check_against(script, bible())
    assert str(err.value) == (
        "shot 2 refers to line 3 of scene 1, which has 2 lines; "
        "shot 3 shows Grandma Lin, who is not in the bible; "
        "shot 4 is in scene 9, which the script lacks; "
        "scene 2 has no shot"
    )


def test_every_scene_is_shot_and_no_line_is_spoken_twice() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    shots.shots[3].scene, shots.shots[3].lines = 1, []  # scene 2 loses its only shot
    shots.shots[2].lines = [1, 2]  # line 1 of scene 1 is also in shot 2
    with pytest.raises(ValueError) as err:
        shots.check_against(script, bible())
    assert str(err.value) == "line 1 of scene 1 is in two shots; scene 2 has no shot"


def test_a_line_claimed_by_several_shots_stays_in_the_first() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    for shot in shots.shots:
        shot.lines = [1, 2] if shot.scene == 1 else [2, 1, 2]
    assert shots.claim_lines_once() == [(1, 1), (1, 2), (1, 1), (1, 2), (2, 2)]
    assert [(s.scene, s.lines) for s in shots.shots] == [(1, [1, 2]), (1, []), (1, []), (2, [2, 1])]
    shots.check_against(script, bible())


def test_a_silent_shot_that_repeats_an_earlier_one_of_its_scene_is_left_out() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    first = shots.shots[0]
    first.lines = [1, 2]
    for shot in shots.shots[1:3]:  # the same picture again, the lines said already
        shot.visual_prompt, shot.lines = f"  {first.visual_prompt.upper()}!", [1, 2]
    shots.shots[3].visual_prompt = first.visual_prompt  # but in scene 2, with its lines
    shots.claim_lines_once()
    assert shots.drop_silent_repeats() == [2, 3]
    assert [(s.number, s.scene, s.lines) for s in shots.shots] == [(1, 1, [1, 2]), (2, 2, [1, 2])]
    assert shots.drop_silent_repeats() == []
    shots.check_against(script, bible())


def test_unclaimed_lines_go_to_the_last_shot_of_their_scene() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    for shot in shots.shots:
        shot.lines = []
    shots.shots[0].lines = [2]
    shots.cover_lines(script)
    assert [(s.scene, s.lines) for s in shots.shots] == [(1, [2]), (1, []), (1, [1]), (2, [1, 2])]
    shots.check_against(script, bible())


def test_a_scene_no_shot_shows_gets_a_plain_shot_in_its_place() -> None:
    """What the embedded director wrote, three answers running: shots for scene 1 only."""
    script = Script.model_validate(answers()["write_script"][0])
    three = script.model_copy(deep=True)
    three.scenes.append(three.scenes[1].model_copy(update={"number": 3}, deep=True))
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    shots.shots = [s for s in shots.shots if s.scene == 1]  # scenes 2 and 3 left out
    assert shots.cover_scenes(three) == [2, 3]
    assert [(s.number, s.scene) for s in shots.shots] == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 3)]
    added = shots.shots[3]
    scene = three.scenes[1]
    assert (added.framing, added.camera) == ("medium", "static")
    assert added.characters == list(dict.fromkeys(line.speaker for line in scene.lines))
    assert (
        added.visual_prompt.startswith(scene.heading) and scene.action[:20] in added.visual_prompt
    )
    shots.cover_lines(three)
    assert shots.shots[3].lines == [1, 2] and shots.shots[4].lines == [1, 2]
    shots.check_against(three, bible())

    middle = ShotList.model_validate(answers()["plan_shots"][0])
    middle.shots.append(middle.shots[3].model_copy(update={"number": 5, "scene": 3}))
    middle.shots.pop(3)  # scene 2's shot: a gap between scenes 1 and 3
    assert middle.cover_scenes(three) == [2]
    assert [(s.number, s.scene) for s in middle.shots] == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 3)]
    whole = ShotList.model_validate(answers()["plan_shots"][0])
    assert whole.cover_scenes(script) == [] and whole == ShotList.model_validate(
        answers()["plan_shots"][0]
    )


def test_a_shot_that_shows_nobody_while_lines_are_spoken_shows_their_speakers() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    for shot in shots.shots:
        shot.characters = []
    shots.shots[3].characters = ["Lin Mei"]  # Chen Hao speaks off screen: her choice stands
    assert shots.show_speakers(script) == [2, 3]
    speakers = {n: line.speaker for n, line in enumerate(script.scenes[0].lines, 1)}
    for shot in shots.shots[:3]:
        assert shot.characters == list(dict.fromkeys(speakers[n] for n in shot.lines))
    assert shots.shots[0].characters == []  # a shot with no lines stays as the director drew it
    assert shots.shots[3].characters == ["Lin Mei"]


def test_a_shot_too_short_for_its_lines_is_lengthened_to_fit_them() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    assert [s.duration_seconds for s in shots.shots] == [4, 3, 3, 5]
    # shot 4 speaks 7 + 6 words: 5.2 s at 2.5 words a second, with the pauses around them 6.1 s
    assert shots.fit_dialogue(script) == [4]
    assert [s.duration_seconds for s in shots.shots] == [4, 3, 3, 6.1]
    shots.shots[3].lines = [1, 2] * 6  # far too much for one shot: at most 30 s
    shots.fit_dialogue(script)
    assert shots.shots[3].duration_seconds == 30


def test_line_numbers_counted_through_the_episode_are_read_per_scene() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    shots.shots[3].lines = [3, 4]  # scene 2's two lines, counted after scene 1's two
    shots.shots[1].lines = [1]  # already within its scene: left alone
    shots.number_lines_within_scenes(script)
    assert [s.lines for s in shots.shots] == [[], [1], [2], [1, 2]]
    shots.check_against(script, bible())


def test_a_shot_that_names_the_wrong_scene_for_lines_counted_through_the_episode() -> None:
    """What the embedded director wrote for a two-scene script (1 line, then 6): a second shot
    "in scene 1" speaking lines 2 to 6, which are scene 2's, counted from the start."""
    script = Script.model_validate(answers()["write_script"][0])
    script.scenes[0].lines = script.scenes[0].lines[:1]
    script.scenes[1].lines = [*script.scenes[1].lines] * 3  # six lines
    shots = ShotList.model_validate(answers()["plan_shots"][0])
    shots.shots = shots.shots[:2]
    shots.shots[0].scene, shots.shots[0].lines = 1, [1]
    shots.shots[1].scene, shots.shots[1].lines = 1, [2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="scene 2 has no shot"):
        shots.check_against(script, bible())
    shots.number_lines_within_scenes(script)
    shots.cover_lines(script)
    assert [(s.scene, s.lines) for s in shots.shots] == [(1, [1]), (2, [1, 2, 3, 4, 5, 6])]
    shots.shots[1].scene, shots.shots[1].lines = 1, [2, 9]  # fits no one scene: left as it is
    shots.number_lines_within_scenes(script)
    assert (shots.shots[1].scene, shots.shots[1].lines) == (1, [2, 9])


def test_outline_beats_in_order_and_fitted_into_the_runtime() -> None:
    outline = answers()["outline_episode"][0]
    kept = EpisodeOutline.model_validate(outline)
    assert [b.at_seconds for b in kept.beats] == [b["at_seconds"] for b in outline["beats"]]
    counted = [{"at_seconds": 10 * n, "description": f"beat {n}"} for n in range(14)]
    late = EpisodeOutline.model_validate({**outline, "beats": counted[:11] + counted[13:]})
    assert [b.at_seconds for b in late.beats] == [0, 7, 14, 21, 28, 35, 42, 48, 55, 62, 69, 90]
    shuffled = {**outline, "beats": outline["beats"][::-1]}
    with pytest.raises(ValidationError, match="beats must be in time order"):
        EpisodeOutline.model_validate(shuffled)


def test_bible_needs_distinct_characters() -> None:
    data = answers()["develop_series"][0]
    data["characters"][1]["name"] = "LIN MEI"
    with pytest.raises(ValidationError, match="two characters share a name"):
        SeriesBible.model_validate(data)


def test_critique_scores_and_verdicts() -> None:
    critique = answers()["review_script"][0]
    Critique.model_validate(critique)
    with pytest.raises(ValidationError):
        Critique.model_validate({**critique, "scores": {**critique["scores"], "hook": 6}})
    with pytest.raises(ValidationError, match="at least 1 item"):
        Critique.model_validate({**critique, "verdict": "revise", "notes": []})


def test_a_continuity_issue_without_line_or_scene_may_say_zero() -> None:
    issue = {"kind": "prop", "severity": "error", "scene": 2, "description": "The pendant."}
    read = ContinuityIssue.model_validate({**issue, "line": 0, "fact_episode": 0, "fact_scene": 0})
    assert (read.line, read.fact_episode, read.fact_scene) == (None, 0, None)
    with pytest.raises(ValidationError):
        ContinuityIssue.model_validate({**issue, "scene": 0})
    with pytest.raises(ValidationError):
        ContinuityIssue.model_validate({**issue, "fact_scene": -1})


def test_decisions_need_what_they_act_on() -> None:
    assert Decision(action="approve").by == "person"
    with pytest.raises(ValidationError, match="'revise' needs notes"):
        Decision(action="revise", notes="  ")
    with pytest.raises(ValidationError, match="'edit' needs the changed draft"):
        Decision(action="edit")


def test_premise_is_trimmed_and_bounded() -> None:
    assert Premise(text="  A twin returns.  ").text == "A twin returns."
    assert Premise(text="孪生姐妹争夺家族企业").text == "孪生姐妹争夺家族企业"
    with pytest.raises(ValidationError, match="control characters"):
        Premise(text="tab\tinside")
