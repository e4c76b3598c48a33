"""Production end to end on the scripted director and the embedded backends, real ffmpeg.

One series is made once per module (episode 1, then episode 2); tests that change it work on
a copy of its folder, cache included.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import imageio_ffmpeg
import pytest
from conftest import CLI, answers, calls, make_project, median_pitch, rows, smollm2, wr

from writersroom.tools.sheets import VIEWS

PREMISE = "Twin sisters swapped at birth fight over the family empire"
SHOTS_SECONDS = 16.1  # the recorded shot list: 4 + 3 + 3 + 5, the last lengthened to fit its lines
DIALOGUE = [
    "You dropped something, cleaner.",
    "Sorry, Miss Lin.",
    "That file is not yours to read.",
    "It has my name on it.",
]


def ffmpeg_describes(path: Path) -> str:
    done = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
    )
    return done.stderr


def srt_cues(path: Path) -> list[str]:
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    return [block.splitlines()[2] for block in blocks]


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    replies = answers()
    for task, key in (("outline_episode", "number"), ("write_script", "episode")):
        replies[task].append({**replies[task][0], key: 2})
    project = make_project(
        tmp_path_factory.mktemp("production") / "series", replies, production=True
    )
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    return project


def copy_of(series: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(series, tmp_path / "copy"))


def test_the_episode_is_a_vertical_h264_aac_video_with_its_subtitles(series: Path) -> None:
    folder = series / "render" / "episode-01"
    description = ffmpeg_describes(folder / "episode.mp4")
    assert re.search(r"Video: h264 .*720x1280", description), description
    assert re.search(r"Audio: aac", description), description
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", description).groups()
    duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    assert abs(duration - SHOTS_SECONDS) <= 0.2 * SHOTS_SECONDS
    assert srt_cues(folder / "episode.srt") == DIALOGUE
    assert rows(series, "select video, runtime_seconds from episodes where number = 1") == [
        ("render/episode-01/episode.mp4", pytest.approx(duration, abs=0.1))
    ]
    made = rows(series, "select tool, count(*) from ledger where episode = 1 group by tool")
    views = len(rows(series, "select name from characters")) * len(VIEWS)  # the cast's sheets
    assert dict(made) == {
        "draw_character": views,
        "generate_video": 4,
        "synthesize_voice": 4,
        "lip_sync": 4,
        "assemble": 1,
    }


def test_the_tool_calls_are_function_calls_in_the_directors_messages(series: Path) -> None:
    asked = calls(series, "produce")[0]
    assert asked["agent"] == "director"
    assert asked["tools"] == ["generate_video", "synthesize_voice", "lip_sync"]
    assert "Lin Yue: You dropped something, cleaner." in asked["messages"][-1]["content"]
    kept = json.loads(rows(series, "select calls from episodes where number = 1")[0][0])
    assert [c["name"] for c in kept].count("lip_sync") == 4
    ids = {c["id"] for c in kept}
    called = "select call_id from ledger where episode = 1 and tool != 'draw_character'"
    ledger_ids = {r[0] for r in rows(series, called)}
    assert ledger_ids == ids | {"cut"}  # every backend call answers one of the director's calls


def test_two_characters_sound_different_and_keep_their_voices(series: Path) -> None:
    voices = dict(rows(series, "select name, voice_id from characters"))
    assert len(set(voices.values())) == 3
    first = series / "render" / "episode-01"
    yue, mei = (
        median_pitch(first / "shot-02/line-1.wav"),
        median_pitch(first / "shot-03/line-2.wav"),
    )
    assert abs(yue - mei) / min(yue, mei) > 0.08, (yue, mei)
    line = json.loads((first / "shot-02/line-1.wav.json").read_text())
    assert line["voice_id"] == voices["Lin Yue"]
    assert [p[0] for p in line["phonemes"]][:3] and all(p[1] <= p[2] for p in line["phonemes"])

    result = wr("next-episode", "--auto", "--dir", str(series), timeout=300)
    assert result.returncode == 0, result.stderr
    assert dict(rows(series, "select name, voice_id from characters")) == voices
    second = series / "render" / "episode-02"
    assert srt_cues(second / "episode.srt") == DIALOGUE
    again = median_pitch(second / "shot-02/line-1.wav")
    assert again == pytest.approx(yue, rel=0.05)


def test_render_again_makes_nothing_and_a_changed_line_only_its_shot(
    series: Path, tmp_path: Path
) -> None:
    project = copy_of(series, tmp_path)
    result = wr("render", "1", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    run = rows(project, "select max(run) from ledger where episode = 1")[0][0]
    assert rows(project, "select count(*), sum(cached) from ledger where run = ?", (run,)) == [
        (13, 13)
    ]
    assert "0 made, 13 from the cache" in result.stdout

    changed = "It has my mother's name on it."
    result = wr("render", "1", "--line", f"2.2={changed}", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    made = rows(
        project,
        "select shot, tool, file from ledger where cached = 0 and run = ? order by id",
        (run + 1,),
    )
    assert made == [
        (4, "synthesize_voice", "shot-04/line-2.wav"),
        (4, "lip_sync", "shot-04/lipsync-2.mp4"),
        (0, "assemble", "episode.mp4"),
    ]
    assert srt_cues(project / "render" / "episode-01" / "episode.srt")[-1] == changed
    assert rows(project, "select agent from drafts where kind = 'script' order by revision")[
        -1
    ] == ("person",)


def test_a_sheet_drawn_again_makes_only_that_characters_shots_again(
    series: Path, tmp_path: Path
) -> None:
    """The video calls carry the sheets' references by hash: a redrawn sheet is a new call for
    each shot its character is in, and nothing else's."""
    project = copy_of(series, tmp_path)
    name = "Lin Yue"
    done = wr("sheet", name, "--notes", "grey streak in her hair", "--dir", str(project))
    assert done.returncode == 0, done.stderr
    result = wr("render", "1", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    run = rows(project, "select max(run) from ledger where episode = 1")[0][0]
    made = rows(
        project,
        "select shot from ledger where run = ? and cached = 0 and tool = 'generate_video'",
        (run,),
    )
    shots = answers()["plan_shots"][0]["shots"]
    assert sorted(shot for (shot,) in made) == [
        s["number"] for s in shots if name in s["characters"]
    ]


def test_missing_malformed_and_escaping_calls_are_asked_again(tmp_path: Path) -> None:
    replies = answers()
    good = replies["produce"][0]["tool_calls"]
    shot_3 = [c for c in good if c["args"]["shot"] == 3]
    first = [c for c in good if c["args"]["shot"] != 3]
    first[0] = {**first[0], "args": {**first[0]["args"], "out": "../../../escaped.mp4"}}
    first.append({"name": "synthesize_voice", "args": "{shot: 3, line"})  # malformed JSON
    first.append({"name": "lip_sync", "args": {**shot_3[2]["args"], "audio": "/etc/passwd"}})
    replies["produce"] = [{"tool_calls": first}, {"tool_calls": [*shot_3, good[0]]}]
    project = make_project(
        tmp_path / "p",
        replies,
        extra_toml="[production.prices.video]\nstoryboard = 0.5\n",
        production=True,
    )
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr

    asked = calls(project, "produce")
    assert len(asked) == 2
    again = asked[1]["messages"][-1]["content"]
    # asked afresh with only the shots still lacking a call: 1 and 3, not 2 (done)
    assert '"number":3' in again and '"number":1' in again and '"number":2' not in again
    assert "Lin Yue: You dropped something, cleaner." not in again  # shot 2's line
    refused = [r for r in again.splitlines() if r.startswith("Refused in your last answer: ")]
    assert any("leads outside the render folder" in r or "not a file name" in r for r in refused)
    assert any("synthesize_voice: malformed" in r for r in refused)
    assert any("/etc/passwd" in r for r in refused)
    owed = again.split("make exactly these calls now:\n")[1].splitlines()
    assert owed == [  # only what the director gives: the rest comes from the shot list
        'generate_video {"shot": 1}',
        'generate_video {"shot": 3}',
        'synthesize_voice {"shot": 3, "line": 2}',
        'lip_sync {"shot": 3, "line": 2}',
    ]
    assert not list(tmp_path.glob("**/escaped.mp4"))
    videos = rows(project, "select shot from ledger where tool = 'generate_video'")
    assert sorted(videos) == [(1,), (2,), (3,), (4,)]
    cost = wr("cost", "--dir", str(project))
    assert cost.returncode == 0, cost.stderr
    assert "series: 7.5" in cost.stdout  # 15 s of storyboard at 0.5 a second


def test_the_director_gets_the_shots_a_few_at_a_time(tmp_path: Path) -> None:
    replies = answers()
    good = replies["produce"][0]["tool_calls"]
    replies["produce"] = [
        {"tool_calls": [c for c in good if c["args"]["shot"] <= 2]},
        {"tool_calls": [c for c in good if c["args"]["shot"] > 2]},
    ]
    project = make_project(
        tmp_path / "p",
        replies,
        extra_toml="[production]\nshots_per_answer = 2\n",
        production=True,
    )
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr

    asked = [call["messages"][-1]["content"] for call in calls(project, "produce")]
    assert len(asked) == 2
    assert "You dropped something, cleaner." in asked[0]  # shot 2
    assert "That file is not yours to read." not in asked[0]  # shot 4, in the second answer
    assert "That file is not yours to read." in asked[1]
    assert "You dropped something, cleaner." not in asked[1]
    made = rows(
        project,
        "select tool, count(*) from ledger where episode = 1 and tool != 'draw_character'"
        " group by tool",
    )
    assert dict(made) == {"generate_video": 4, "synthesize_voice": 4, "lip_sync": 4, "assemble": 1}
    assert srt_cues(project / "render" / "episode-01" / "episode.srt") == DIALOGUE


def test_a_director_making_progress_is_asked_on_and_a_stalled_one_resumes(
    tmp_path: Path,
) -> None:
    replies = answers()
    good = replies["produce"][0]["tool_calls"]
    shot = {n: {"tool_calls": [c for c in good if c["args"]["shot"] == n]} for n in (1, 2, 3, 4)}
    shot[12] = {"tool_calls": shot[1]["tool_calls"] + shot[2]["tool_calls"]}
    replies["produce"] = [shot[12], shot[3], shot[3], shot[4]]  # the third adds nothing
    project = make_project(
        tmp_path / "p", replies, extra_toml="[room]\nanswer_attempts = 1\n", production=True
    )
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 1
    assert "after 1 answers that added none: shot 4 needs generate_video" in result.stderr
    assert len(calls(project, "produce")) == 3  # asked on while each answer added calls
    made = rows(project, "select shot, tool, count(*) from ledger group by file")
    assert {(s, t) for s, t, _ in made} >= {(3, "generate_video"), (3, "lip_sync")}
    assert all(n == 1 for _, _, n in made)  # the repeated calls of shot 3 were refused

    result = wr("resume", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(calls(project, "produce")) == 4  # only shot 4 was asked for again
    # the resume went on with the same run: the kept calls were neither made nor listed again
    assert rows(project, "select distinct run from ledger") == [(1,)]
    assert rows(project, "select file from ledger group by file having count(*) > 1") == []
    assert rows(project, "select count(*) from ledger where shot = 4") == [(5,)]
    assert srt_cues(project / "render" / "episode-01" / "episode.srt") == DIALOGUE


def test_calls_with_only_shot_and_line_take_the_rest_from_the_shot_list(tmp_path: Path) -> None:
    """What the embedded director writes: the program knows the rest of each call."""
    replies = answers()
    shots = replies["plan_shots"][0]["shots"]
    scenes = {s["number"]: s for s in replies["write_script"][0]["scenes"]}
    compact = []
    for shot in shots:
        compact.append({"name": "generate_video", "args": {"shot": shot["number"]}})
        for line in shot["lines"]:
            said = {"shot": shot["number"], "line": line}
            compact.append({"name": "synthesize_voice", "args": said})
            if scenes[shot["scene"]]["lines"][line - 1]["speaker"] in shot["characters"]:
                compact.append({"name": "lip_sync", "args": said})
    replies["produce"] = [{"tool_calls": compact}]
    project = make_project(tmp_path / "p", replies, production=True)
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    videos = rows(
        project,
        "select shot, duration_seconds from ledger where tool = 'generate_video' order by shot",
    )
    planned = {s["number"]: s["duration_seconds"] for s in shots}
    # a shot's video lasts what the shot list says (lengthened where its lines needed more)
    assert [shot for shot, _ in videos] == sorted(planned)
    assert all(seconds >= planned[shot] - 0.05 for shot, seconds in videos)
    voiced = rows(project, "select count(*) from ledger where tool = 'synthesize_voice'")
    assert voiced == [(sum(len(s["lines"]) for s in shots),)]
    assert (project / "render" / "episode-01" / "episode.mp4").is_file()


def test_a_director_that_cannot_call_tools_has_the_shot_lists_calls_made(tmp_path: Path) -> None:
    """llama.cpp calls no tools: with the director on it, production is not a model's answer
    but the calls the approved shot list owes, made at once and kept for `render` again."""
    project = make_project(tmp_path / "p")  # written on the scripted models, production off
    result = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    toml = project / "writersroom.toml"
    director = f'director = "local:{smollm2()}"\n'
    text = toml.read_text().replace("enabled = false", "enabled = true")
    toml.write_text(text.replace('answers.json"\n', 'answers.json"\n' + director, 1))
    result = wr("render", "1", "--dir", str(project), timeout=300)
    assert result.returncode == 0, result.stderr
    assert rows(project, "select count(*) from usage where task = 'produce'") == [(0,)]
    shots = answers()["plan_shots"][0]["shots"]
    made = rows(project, "select tool, shot, call_id from ledger where tool != 'draw_character'")
    assert sorted((tool, shot) for tool, shot, _ in made if tool == "generate_video") == [
        ("generate_video", s["number"]) for s in shots
    ]
    voiced = [call for tool, _, call in made if tool == "synthesize_voice"]
    assert len(voiced) == sum(len(s["lines"]) for s in shots)
    assert all(call.startswith("plan-synthesize_voice-") for call in voiced)
    assert any(tool == "lip_sync" for tool, _, _ in made)
    assert (project / "render" / "episode-01" / "episode.mp4").is_file()
    again = wr("render", "1", "--dir", str(project), timeout=300)
    assert again.returncode == 0, again.stderr
    made_again = "select count(*) from ledger where cached = 0 and tool != 'draw_character'"
    assert rows(project, made_again) == [(len(made),)]  # again from the kept calls: no new work


def test_a_failed_render_leaves_the_series_able_to_go_on(tmp_path: Path) -> None:
    """Memory before media: the video backend fails (DashScope's, with no key), yet the
    episode's facts and summary are in series memory and episode 2 is written from them; then
    `render 1` on a working backend finishes episode 1 without asking the director again."""
    replies = answers()
    for task, key in (("outline_episode", "number"), ("write_script", "episode")):
        replies[task].append({**replies[task][0], key: 2})
    project = make_project(
        tmp_path / "p",
        replies,
        extra_toml='[production]\nvideo = "dashscope-wan"\n',
        production=True,
    )
    failed = wr("run", PREMISE, "--auto", "--dir", str(project), timeout=300)
    assert failed.returncode == 1
    assert "no API key for the dashscope-wan backend" in failed.stderr
    assert rows(project, "select status, video from episodes") == [("remembered", None)]
    facts = rows(project, "select count(*) from facts where episode = 1")[0][0]
    assert facts > 0
    summary = rows(project, "select summary from episodes where number = 1")[0][0]
    assert summary

    status = wr("status", "--dir", str(project))
    assert "shots approved and remembered" in status.stdout
    assert "production stopped before run_tools: `writersroom render 1`" in status.stdout

    second = wr("next-episode", "--auto", "--dir", str(project), timeout=300)
    assert second.returncode == 1  # its production fails the same way; its story does not
    assert rows(project, "select number, status from episodes order by number") == [
        (1, "remembered"),
        (2, "remembered"),
    ]
    outline_asked = calls(project, "outline_episode")[-1]["messages"][-1]["content"]
    assert summary.split(" It ends:")[0] in outline_asked  # episode 1's memory, in episode 2

    (project / "writersroom.toml").write_text(
        '[models]\ndefault = "scripted:answers.json"\n', encoding="utf-8"
    )
    directed = len(calls(project, "produce"))
    rendered = wr("render", "1", "--dir", str(project), timeout=300)
    assert rendered.returncode == 0, rendered.stderr
    assert len(calls(project, "produce")) == directed  # its calls were made already
    assert rows(project, "select number, status from episodes order by number") == [
        (1, "cut"),
        (2, "remembered"),
    ]
    assert (project / "render" / "episode-01" / "episode.mp4").is_file()
    assert srt_cues(project / "render" / "episode-01" / "episode.srt") == DIALOGUE


def test_a_render_killed_while_its_tools_run_resumes_without_paying_twice(
    tmp_path: Path,
) -> None:
    """Killed inside `run_tools`: the resume carries out the director's answer again from the
    checkpoint (the director is not asked again) and the calls made before the kill are copies
    from the cache (each paid job is one ledger row)."""
    prices = (
        "[production.prices.voice]\nembedded = 0.01\n[production.prices.video]\nstoryboard = 0.02\n"
    )
    project = make_project(tmp_path / "p", extra_toml=prices, production=True)
    run = subprocess.Popen(
        [str(CLI), "run", PREMISE, "--auto", "--dir", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while not (project / "writersroom.db").exists() or _made(project) < 3:
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.02)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    made_before = _made(project)
    assert 3 <= made_before < 12  # of 4 videos, 4 voices and 4 lip-syncs: killed mid-way
    assert len(calls(project, "produce")) == 1

    resumed = wr("resume", "--dir", str(project), timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(calls(project, "produce")) == 1  # the director was not asked again
    twice = "select key from ledger where cached = 0 group by key having count(*) > 1"
    assert rows(project, twice) == []
    paid = rows(project, "select count(*), round(sum(cost), 6) from ledger where cached = 0")
    assert paid == rows(project, "select count(*), round(sum(cost), 6) from renders")
    assert rows(project, "select count(*) from ledger where cached = 1") == [(made_before,)]
    assert rows(project, "select status from episodes") == [("cut",)]


def _made(project: Path) -> int:
    try:
        made = "select count(*) from ledger where tool not in ('assemble', 'draw_character')"
        return rows(project, made)[0][0]
    except sqlite3.OperationalError:  # the table is not there yet
        return 0
