"""`eval run` and `eval score` carry the judge's calibration and sanity figures, or say in red
that the judge is unchecked."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import wr

from writersroom.evals import trust
from writersroom.evals.judge import load_rubric

KEYS = load_rubric("short_drama").keys
CALIBRATION = {
    "judge": "J",
    "hanna": {"criteria": {"a": {"tau_b": {"value": 0.2}}, "b": {"tau_b": {"value": 0.4}}}},
    "storysumm": {"balanced_accuracy": {"value": 61.0}},
    "ttcw": {"accuracy": {"value": 70.5}},
}
SANITY = {
    "judge": "J",
    "overall": {"pairs": 80, "passed": 76, "rate": 0.95, "low": 0.878, "high": 0.98},
    "trusted": True,
}


def checked(folder: Path, judge: str = "J", sanity: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calibration.json").write_text(json.dumps(CALIBRATION | {"judge": judge}))
    (folder / "sanity.json").write_text(json.dumps((sanity or SANITY) | {"judge": judge}))
    return folder


def test_the_checks_of_the_same_judge_only(tmp_path: Path) -> None:
    folder = checked(tmp_path / "c")
    summary = trust.checks("J", [folder])
    assert summary["calibration"] == {
        "hanna_mean_tau_b": 0.3,
        "storysumm_balanced_accuracy": 61.0,
        "ttcw_accuracy": 70.5,
    }
    assert summary["sanity"]["passed"] == 76 and summary["sanity"]["trusted"] is True
    trusted, line = trust.verdict("J", summary)
    assert trusted and "76 of 80 pairs" in line and "TTCW accuracy 70.5" in line
    other = trust.checks("K", [folder])
    assert other == {"calibration": None, "sanity": None}
    trusted, line = trust.verdict("K", other)
    assert not trusted and "uncalibrated" in line and "eval sanity --judge K" in line
    assert trust.checks(None, [folder]) is None


def test_score_says_in_red_when_the_judge_is_unchecked(tmp_path: Path) -> None:
    judged = {k: {"reason": f"{k} is fine", "score": 3} for k in KEYS}
    file = tmp_path / "judge.json"
    file.write_text(json.dumps({"judge_rubric": [judged]}))
    script = tmp_path / "roof.fountain"
    script.write_text("Title: Roof\n\nEXT. ROOF - NIGHT\n\nHAO\nWho are you?\n", encoding="utf-8")
    spec = f"scripted:{file}"
    args = ["eval", "score", str(script), "--judge", spec, "--out"]
    unchecked = wr(*args, str(tmp_path / "a"), "--judge-checks", str(tmp_path / "none"))
    assert unchecked.returncode == 0, unchecked.stderr
    assert "is uncalibrated" in " ".join(unchecked.stdout.split())
    results = json.loads((tmp_path / "a" / "results.json").read_text())
    assert results["judge_checks"] == {"calibration": None, "sanity": None}
    folder = checked(tmp_path / "checks", spec)
    done = wr(*args, str(tmp_path / "b"), "--judge-checks", str(folder))
    assert done.returncode == 0, done.stderr
    assert "prefers the original over a broken copy in 76 of 80" in " ".join(done.stdout.split())
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert results["judge_checks"]["sanity"]["low"] == 0.878
