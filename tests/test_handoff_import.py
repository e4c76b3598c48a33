"""A writer's own script into the room: `writersroom import`, on the scripted models.

A held-out-style Fountain script (not written by the room) is imported into a series, checked
for continuity, approved, planned and produced to a rendered episode with the scripted director;
a Final Draft file is read the same way; bad files give one line and exit code 1.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import answers, calls, make_project, rows, wr
from test_production import ffmpeg_describes, srt_cues

from writersroom.handoff import pages
from writersroom.schemas import Script
from writersroom.screenplay import fountain
from writersroom.speech import shot_seconds

PREMISE = "Twin sisters swapped at birth fight over the family empire"
SCRIPTS = Path(__file__).parents[1] / "evals" / "continuity" / "scripts"
HELD_OUT = SCRIPTS / "clean_1323.fountain"


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """A series whose bible is approved (episode 1 waits at its outline)."""
    project = make_project(tmp_path / "series", production=True)
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    assert wr("approve", "--dir", str(project)).returncode == 0
    return project


def imported_script(project: Path, episode: int) -> Script:
    (content,) = rows(
        project,
        "select content from drafts where episode = ? and kind = 'script' order by revision",
        (episode,),
    )[-1:]
    return Script.model_validate_json(content[0])


def director_answers(script: Script) -> tuple[dict[str, Any], dict[str, Any]]:
    """A shot list for the script (up to three lines a shot) and the director's tool calls."""
    shots, tool_calls = [], []
    for scene in script.scenes:
        numbers = list(range(1, len(scene.lines) + 1))
        groups = [numbers[i : i + 3] for i in range(0, len(numbers), 3)] or [[]]
        for group in groups:
            said = [scene.lines[n - 1] for n in group]
            cast = sorted({line.speaker for line in said})
            number = len(shots) + 1
            seconds = max(3, math.ceil(shot_seconds([line.text for line in said]) + 0.5))
            shot = {
                "number": number,
                "scene": scene.number,
                "framing": "medium",
                "camera": "static",
                "duration_seconds": seconds,
                "visual_prompt": scene.heading,
                "characters": cast,
                "lines": group,
            }
            shots.append(shot)
            args = {k: shot[k] for k in ("visual_prompt", "framing", "camera", "characters")}
            tool_calls.append(
                {
                    "name": "generate_video",
                    "args": {"shot": number, "duration_seconds": seconds} | args,
                }
            )
            for n in group:
                speaker = scene.lines[n - 1].speaker
                said_by = {"shot": number, "line": n, "speaker": speaker}
                tool_calls.append({"name": "synthesize_voice", "args": said_by})
                folder = f"shot-{number:02d}"
                paths = {"video": f"{folder}/video.mp4", "audio": f"{folder}/line-{n}.wav"}
                tool_calls.append({"name": "lip_sync", "args": said_by | paths})
    return {"shots": shots}, {"tool_calls": tool_calls}


def test_a_script_written_elsewhere_is_checked_approved_and_produced(series: Path) -> None:
    result = wr("import", str(HELD_OUT), "--dir", str(series))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "JIANG HE, SONG RUYI, SU YAO" in result.stderr and "--add-cast" in result.stderr
    assert rows(series, "select count(*) from episodes where number = 2") == [(0,)]

    result = wr("import", str(HELD_OUT), "--add-cast", "--dir", str(series))
    assert result.returncode == 0, result.stderr
    assert "as episode 2: 3 scenes, 11 lines" in result.stdout
    assert "Episode 2 waits for you at approve_script" in result.stdout
    names = {name for (name,) in rows(series, "select name from characters")}
    assert names == {"Lin Mei", "Lin Yue", "Chen Hao", "Jiang He", "Song Ruyi", "Su Yao"}
    ages = dict(rows(series, "select name, age from characters"))
    assert (ages["Su Yao"], ages["Song Ruyi"], ages["Jiang He"]) == (26, 27, 28)
    looks = dict(rows(series, "select name, look from characters"))
    assert looks["Su Yao"].startswith("SU YAO enters carrying a cake box")

    script = imported_script(series, 2)
    assert script.speakers() == {"Jiang He", "Song Ruyi", "Su Yao"}
    checked = calls(series, "check_continuity")
    assert len(checked) == 1
    assert "Five years of playing the good boyfriend" in checked[0]["messages"][-1]["content"]
    assert calls(series, "write_script") == []  # the writer's words, not the screenwriter's
    assert len(calls(series, "outline_episode")) == 1  # episode 1's only
    assert rows(series, "select kind, agent from drafts where episode = 2 order by id") == [
        ("outline", "person"),
        ("script", "person"),
        ("continuity", "continuity"),
        ("critique", "editor"),
    ]

    replies = answers()
    shot_list, produce = director_answers(script)
    replies["plan_shots"], replies["produce"] = [shot_list], [produce]
    (series / "answers.json").write_text(json.dumps(replies), encoding="utf-8")
    # The person accepts the script as written, whatever the rules flagged in it.
    result = wr("approve", "--override", "--dir", str(series))
    assert result.returncode == 0, result.stderr
    assert "approve_shots" in result.stdout
    result = wr("approve", "--dir", str(series), timeout=300)
    assert result.returncode == 0, result.stderr
    folder = series / "render" / "episode-02"
    assert "Video: h264" in ffmpeg_describes(folder / "episode.mp4")
    spoken = [line.text for scene in script.scenes for line in scene.lines]
    assert srt_cues(folder / "episode.srt") == spoken
    assert rows(series, "select status from episodes where number = 2") == [("cut",)]


def test_a_final_draft_script_imports_as_its_fountain_does(series: Path, tmp_path: Path) -> None:
    play = fountain.read_script_file(HELD_OUT)
    script = fountain.to_script(play)
    fdx = pages.write_fdx("Betrayal", script, play.cast(), tmp_path / "episode.fdx")
    result = wr("import", str(fdx), "--add-cast", "--episode", "5", "--dir", str(series))
    assert result.returncode == 0, result.stderr
    assert "as episode 5: 3 scenes, 11 lines" in result.stdout
    read = imported_script(series, 5)
    from_fountain = [
        (line.speaker.casefold(), line.text, line.parenthetical)
        for scene in script.scenes
        for line in scene.lines
    ]
    assert [
        (line.speaker.casefold(), line.text, line.parenthetical)
        for scene in read.scenes
        for line in scene.lines
    ] == from_fountain
    assert [s.heading for s in read.scenes] == [s.heading for s in script.scenes]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("corrupt.fdx", "<FinalDraft><Content><Paragraph Type=", "not a readable Final Draft"),
        ("other.fdx", "<html><body>hello</body></html>", "not a Final Draft script"),
        ("empty.fountain", "", "is empty"),
        ("notes.fountain", "Just some words.\n\nNo scenes here.\n", "no scene heading"),
        ("episode.docx", "PK\x03\x04", "unknown script format '.docx'"),
    ],
)
def test_bad_scripts_give_one_line_and_exit_1(
    series: Path, tmp_path: Path, name: str, content: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = wr("import", str(path), "--dir", str(series))
    assert result.returncode == 1, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert reason in result.stderr
    assert rows(series, "select count(*) from episodes where number > 1") == [(0,)]
