"""Deterministic metrics on hand-made scripts with known values, and on a room's real run."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import answers, make_project, rows, wr

from writersroom.evals import episodes, metrics
from writersroom.evals.episodes import Episode
from writersroom.evals.settings import EvalSettings, Price

SCRIPT = {
    "episode": 1,
    "title": "Ballroom",
    "scenes": [
        {
            "number": 1,
            "heading": "INT. BALLROOM - NIGHT",
            "action": "Mei walks in.",
            "lines": [
                {"speaker": "Lin Yue", "text": "You should not be here."},
                {"speaker": "Lin Mei", "text": "I own this room now!"},
            ],
        },
        {
            "number": 2,
            "heading": "EXT. ROOF - NIGHT",
            "action": "Hao holds a knife.",
            "lines": [{"speaker": "Chen Hao", "text": "Who are you?"}],
        },
    ],
}
SHOTS = {
    "shots": [
        {"scene": 1, "duration_seconds": 3.0, "lines": []},
        {"scene": 1, "duration_seconds": 4.0, "lines": [1]},
        {"scene": 1, "duration_seconds": 2.0, "lines": [2]},
        {"scene": 2, "duration_seconds": 5.0, "lines": []},
        {"scene": 2, "duration_seconds": 2.0, "lines": [1, 1]},
    ]
}
OUTLINE = {
    "target_runtime_seconds": 20,
    "beats": [{"at_seconds": 0}, {"at_seconds": 8}, {"at_seconds": 18}],
}


def episode(**fields: Any) -> Episode:
    return Episode(id="hand", source="hand", script=copy.deepcopy(SCRIPT), **fields)


def test_times_from_the_shot_list() -> None:
    measured = metrics.measure(episode(shots=SHOTS, outline=OUTLINE))
    # Shots start at 0, 3, 7, 9, 14 and end at 16.
    assert measured["runtime_seconds"] == 16.0
    assert measured["target_runtime_seconds"] == 20
    assert measured["runtime_ratio"] == 0.8
    assert measured["first_line_seconds"] == 3.0  # shot 2 carries the first line
    assert measured["first_conflict_seconds"] == 9.0  # "knife" in scene 2's action
    assert measured["hook_seconds"] == 3.0
    assert measured["hook_in_time"] is True
    assert measured["timing"] == "estimated"  # the plan is fitted to the speech estimate
    assert measured["speech_timing"] == "estimated"
    # 13 words in the 8 seconds of the shots with new dialogue (4 + 2 + 2); 45 characters.
    assert measured["speech_wps"] == pytest.approx(13 / 8, abs=1e-3)
    assert measured["speech_cps"] == pytest.approx(45 / 8, abs=1e-3)
    assert measured["speech_too_fast"] is False


def test_times_estimated_from_the_text_without_shots() -> None:
    measured = metrics.measure(episode())
    # Action "Mei walks in." is 3 words at 4 words/s; each line at 2.5 words/s.
    assert measured["first_line_seconds"] == pytest.approx(0.75)
    assert measured["first_conflict_seconds"] == pytest.approx(0.75 + 2 + 2)
    assert measured["runtime_seconds"] == pytest.approx(0.75 + 2 + 2 + 1 + 1.2)
    assert measured["timing"] == "estimated"
    assert measured["speech_wps"] is None
    assert measured["runtime_ratio"] is None  # no outline, no target


def test_cliffhanger_lines_and_repetition() -> None:
    measured = metrics.measure(episode(outline=OUTLINE))
    assert measured["cliffhanger_beat_at_end"] is True  # 18 s >= 80% of 20 s
    assert measured["ends_open"] is True  # "Who are you?"
    assert measured["scenes"] == 2
    assert measured["lines"] == 3
    assert measured["lines_per_scene"] == 1.5
    assert measured["distinct_1"] == pytest.approx(12 / 13)  # "you" twice
    assert measured["distinct_2"] == 1.0
    assert measured["repeated_lines"] == 0

    flat = episode(outline={**OUTLINE, "beats": [{"at_seconds": 0}, {"at_seconds": 10}]})
    flat.script["scenes"][1]["lines"][0]["text"] = "Good night."
    flat.script["scenes"][1]["action"] = "Hao goes home."
    measured = metrics.measure(flat)
    assert measured["cliffhanger_beat_at_end"] is False
    assert measured["ends_open"] is False


def test_distinct_n_and_repeated_lines() -> None:
    assert metrics.distinct_n(["a b a b", "a b"], 1) == pytest.approx(2 / 6)
    assert metrics.distinct_n(["a b a b", "a b"], 2) == pytest.approx(2 / 4)
    assert metrics.distinct_n([], 2) is None
    repeated = episode()
    repeated.script["scenes"][1]["lines"].append(
        {"speaker": "Lin Mei", "text": "I OWN this room now"}
    )
    assert metrics.measure(repeated)["repeated_lines"] == 1
    # CJK text counts characters.
    assert metrics.tokens("你好 Lin Mei") == ["你", "好", "lin", "mei"]


def test_continuity_by_severity_first_and_final_report() -> None:
    first = {
        "issues": [
            {"severity": "error", "scene": 1, "kind": "location"},
            {"severity": "warning", "scene": 2, "kind": "prop"},
        ]
    }
    final = {"issues": [{"severity": "warning", "scene": 2, "kind": "prop"}]}
    measured = metrics.measure(episode(continuity=[first, final]))
    assert measured["continuity_errors"] == 0
    assert measured["continuity_warnings"] == 1
    assert measured["continuity_first"] == {"errors": 1, "warnings": 1}
    assert metrics.measure(episode())["continuity_errors"] is None


def test_schema_validity_names_the_problems() -> None:
    bible = answers()["develop_series"][0]
    valid = metrics.measure(episode(bible=bible))
    assert valid["schema_problems"] == []
    assert valid["schema_valid"] is True
    strangers = episode(bible=bible)
    strangers.script["scenes"][0]["lines"][0]["speaker"] = "Nobody"
    strangers.script["scenes"][1]["number"] = 1
    measured = metrics.measure(strangers)
    assert measured["schema_valid"] is False
    assert any("scene numbers must be unique" in p for p in measured["schema_problems"])


def test_tokens_seconds_and_cost_per_agent() -> None:
    usage = [
        {"agent": "showrunner", "model": "openai:gpt-4.1", "input_tokens": 1000,
         "output_tokens": 500, "seconds": 1.5},
        {"agent": "showrunner", "model": "openai:gpt-4.1", "input_tokens": 1000,
         "output_tokens": 0, "seconds": 0.5},
        {"agent": "editor", "model": "local:qwen2.5-coder-1.5b", "input_tokens": 300,
         "output_tokens": 100, "seconds": 10.0},
    ]  # fmt: skip
    prices = EvalSettings(prices={"openai:gpt-4.1": Price(input=2.0, output=8.0)})
    measured = metrics.usage(episode(usage=usage), prices)
    showrunner = measured["agents"]["showrunner"]
    assert showrunner["calls"] == 2
    assert showrunner["input_tokens"] == 2000
    assert showrunner["seconds"] == 2.0
    assert showrunner["cost"] == pytest.approx((2000 * 2 + 500 * 8) / 1e6)
    assert measured["agents"]["editor"]["cost"] == 0.0  # the embedded model is free
    assert measured["tokens"] == 2900
    assert measured["cost_usd"] == pytest.approx(0.008)
    unpriced = metrics.usage(episode(usage=usage), EvalSettings())
    assert unpriced["cost_usd"] is None  # a paid model without a price is not free


def test_a_room_run_revision_rounds_and_accepted_answers(tmp_path: Path) -> None:
    replies = answers()
    replies["check_continuity"] = [
        {"issues": [{"kind": "prop", "severity": "error", "scene": 1, "description": "tray"}]},
        {"issues": []},
    ]
    replies["review_script"] = [
        {
            "scores": {**replies["review_script"][0]["scores"], "dialogue": 2},
            "notes": ["sharper"],
            "verdict": "revise",
        },
        replies["review_script"][0],
    ]
    replies["write_script"] = replies["write_script"] * 2
    replies["plan_shots"] = ["not json at all", replies["plan_shots"][0]]
    project = make_project(tmp_path / "series", replies, production=True)
    done = wr("run", "Twin heiresses", "--dir", str(project), "--auto")
    assert done.returncode == 0, done.stderr

    [found] = episodes.load(project)
    measured = metrics.measure(found)
    assert measured["revision_rounds"] == 1
    assert measured["person_revisions"] == 0
    assert measured["continuity_first"] == {"errors": 1, "warnings": 0}
    assert measured["continuity_errors"] == 0
    # 10 drafting calls (one malformed shot list asked again); 9 drafts written.
    drafting = tuple(metrics.DRAFT_TASKS)
    marks = ",".join("?" * len(drafting))
    assert rows(project, f"select count(*) from usage where task in ({marks})", drafting) == [(10,)]
    assert measured["answers_accepted"] == 0.9
    assert measured["schema_valid"] is True
    # Rendered: times are the cut's (title card, voices as long as they really are).
    assert measured["timing"] == "rendered" and measured["speech_timing"] == "rendered"
    assert measured["runtime_seconds"] == measured["video_seconds"] > 0
    assert measured["target_runtime_seconds"] == 90
    subtitles = (project / "render" / "episode-01" / "episode.srt").read_text()
    first = subtitles.split("\n")[1].split(" --> ")[0]  # 00:00:SS,mmm
    assert measured["first_line_seconds"] == pytest.approx(float(first[6:].replace(",", ".")))
    assert measured["speech_wps"] > 0
    assert set(measured["usage"]["agents"]) == {
        "showrunner", "screenwriter", "continuity", "editor", "director"
    }  # fmt: skip
    director = rows(
        project, "select count(*), sum(input_tokens) from usage where agent = 'director'"
    )
    assert director[0][0] >= 2  # the malformed shot list and the good one, then production
    assert measured["usage"]["agents"]["director"]["calls"] == director[0][0]
    assert measured["usage"]["agents"]["director"]["input_tokens"] == director[0][1]
    assert measured["usage"]["cost_usd"] == 0.0
    # The cut episode and its render calls (embedded backends: free).
    assert (
        measured["video_seconds"]
        == rows(project, "select runtime_seconds from episodes where number = 1")[0][0]
    )
    assert measured["video_seconds"] > measured["runtime_seconds"] - 1
    tools = measured["usage"]["tools"]
    assert tools["generate_video"]["calls"] == 4  # one per shot
    assert (
        sum(t["calls"] for t in tools.values())
        == rows(project, "select count(*) from ledger")[0][0]
    )
    assert measured["usage"]["render_cost_usd"] == 0.0


def test_fountain_and_json_scripts(tmp_path: Path) -> None:
    fountain = tmp_path / "ep.fountain"
    fountain.write_text(
        "Title: Roof\n\nEXT. ROOF - NIGHT\n\nHao holds a knife.\n\nHAO\nWho are you?\n",
        encoding="utf-8",
    )
    [found] = episodes.load(fountain)
    measured = metrics.measure(found)
    assert measured["lines"] == 1
    assert measured["first_conflict_seconds"] == 0.0
    assert measured["ends_open"] is True
    assert measured["revision_rounds"] is None  # not a room run
    script = tmp_path / "ep.json"
    script.write_text(json.dumps({"script": SCRIPT, "shots": SHOTS}), encoding="utf-8")
    [found] = episodes.load(script)
    assert metrics.measure(found)["runtime_seconds"] == 16.0
    chinese = tmp_path / "zh.fountain"
    chinese.write_text(
        "Title: 天台\n\nEXT. 天台 - 夜\n\n林梅站在风里。\n\n林梅\n你到底是谁？\n", "utf-8"
    )
    [found] = episodes.load(chinese)
    assert metrics.measure(found)["ends_open"] is True  # a full-width question mark
