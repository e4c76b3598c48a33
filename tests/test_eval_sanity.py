"""`writersroom eval sanity`: the judge must prefer an original to its broken copy, both orders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import wr
from test_planted_eval import dataset

from writersroom.config import ProjectConfig
from writersroom.evals import sanity
from writersroom.evals.judge import build_judge, load_rubric

KEYS = load_rubric("short_drama").keys


def preference(winner: str) -> dict[str, Any]:
    return {k: {"reason": f"the {winner} is better", "winner": winner} for k in [*KEYS, "overall"]}


def judge_file(folder: Path, replies: list[str]) -> Path:
    """A scripted judge: "first" or "second" prefers that version throughout; anything else
    is sent as it is (an answer that is not the judgement asked for)."""
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "judge.json"
    answers = [preference(r) if r in ("first", "second") else r for r in replies]
    file.write_text(json.dumps({"judge_pairwise": answers}))
    return file


def test_the_wilson_interval() -> None:
    assert sanity.wilson(0, 0) == (None, None)
    low, high = sanity.wilson(8, 10)
    assert low == pytest.approx(0.490, abs=1e-3) and high == pytest.approx(0.943, abs=1e-3)
    assert sanity.wilson(20, 20)[1] == 1.0 and sanity.wilson(0, 20)[0] == 0.0


def test_a_judge_that_sees_the_damage_passes(tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", 3)
    # The original is shown first, then second: "first" then "second" prefers it both times.
    file = judge_file(tmp_path / "good", ["first", "second"] * 12)
    judge = build_judge(f"scripted:{file}", ProjectConfig(), tmp_path / "good")
    report = sanity.check(judge, data, limit=3)
    assert report["overall"]["pairs"] == 12 and report["overall"]["rate"] == 1.0
    assert set(report["per_perturbation"]) == set(sanity.controls.PERTURBATIONS)
    assert report["overall"]["low"] == pytest.approx(0.757, abs=1e-3)
    assert report["trusted"] is False  # 12 pairs cannot show it: the interval is too wide


def test_a_position_biased_judge_fails(tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", 2)
    file = judge_file(tmp_path / "biased", ["first"])
    judge = build_judge(f"scripted:{file}", ProjectConfig(), tmp_path / "biased")
    report = sanity.check(judge, data, limit=2)
    assert report["overall"]["passed"] == 0 and report["trusted"] is False
    assert all(item["original_preference"] == 0.5 for item in report["items"])


def test_the_command_says_in_red_when_the_judge_cannot_be_trusted(tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", 2)
    file = judge_file(tmp_path / "biased", ["second"])
    out = tmp_path / "out"
    result = wr(
        "eval", "sanity", "--judge", f"scripted:{file}", "--data", str(data), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "not trustworthy" in result.stdout and "95% interval" in result.stdout
    assert json.loads((out / "sanity.json").read_text())["overall"]["passed"] == 0


def test_a_pair_the_judge_cannot_answer_fails_and_the_check_goes_on(tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", 1)
    file = judge_file(
        tmp_path / "broken", ['{"hook": {"reason": "cut off'] * 3 + ["first", "second"] * 3
    )
    judge = build_judge(f"scripted:{file}", ProjectConfig(), tmp_path / "broken")
    saved = tmp_path / "sanity.json"
    report = sanity.check(judge, data, limit=1, saved=saved)
    assert [item["answered"] for item in report["items"]] == [False, True, True, True]
    assert report["unanswered"] == 1
    assert (report["overall"]["pairs"], report["overall"]["passed"]) == (4, 3)
    assert "no valid ShortDramaPreferences in 3 attempts" in report["items"][0]["problem"]
    assert json.loads(saved.read_text())["overall"] == report["overall"]  # kept as it went
