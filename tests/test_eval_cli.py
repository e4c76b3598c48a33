"""`writersroom eval`: calibrate, run, score and compare, as a user runs them (scripted models)."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import CLI, DATA, answers, make_project, wr
from scipy.stats import kendalltau

from writersroom.errors import ConfigError
from writersroom.evals.runner import load_suite
from writersroom.evals.settings import load_eval_config
from writersroom.providers.scripted import read_calls

EVALDATA = DATA / "evaldata"
HANNA_KEYS = ["relevance", "coherence", "empathy", "surprise", "engagement", "complexity"]
DRAMA_KEYS = [
    "hook", "conflict_stakes", "reversal", "cliffhanger",
    "character_consistency", "dialogue", "pacing", "originality",
]  # fmt: skip
# The judge's scores for the 8 fixture stories, one list per story in file order.
HANNA_SCORES = [
    [int(c) for c in row]
    for row in ["442233", "233122", "544344", "122211", "333433", "452244", "221121", "343332"]
]
# Unfaithful sentences found per StorySumm fixture item (truth: 0 1 0 1 0 1).
FOUND = [[1], [], [], [2], [3], []]


def hanna_replies(delay: float = 0) -> list[Any]:
    replies = [
        {k: {"reason": f"{k} {s}", "score": s} for k, s in zip(HANNA_KEYS, row, strict=True)}
        for row in HANNA_SCORES
    ]
    return [{"reply": r, "delay_seconds": delay} for r in replies] if delay else replies


def judge_file(folder: Path, **replies: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "judge.json"
    file.write_text(json.dumps(replies), encoding="utf-8")
    return file


def calibrate(judge: Path, out: Path, *extra: str, cwd: Path | None = None):
    return wr("eval", "calibrate", "--judge", f"scripted:{judge}", "--data", str(EVALDATA),
              "--out", str(out), "--jobs", "1", *extra, cwd=cwd)  # fmt: skip


def expected_taus() -> dict[str, float]:
    with (EVALDATA / "hanna" / "hanna_human_stories_with_ratings.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = ["Relevance", "Coherence", "Empathy", "Surprise", "Engagement", "Complexity"]
    return {
        key: kendalltau(
            [float(r[f"human_mean_{col}"]) for r in rows], [s[i] for s in HANNA_SCORES]
        ).statistic
        for i, (key, col) in enumerate(zip(HANNA_KEYS, columns, strict=True))
    }


def test_calibrate_with_a_scripted_judge(tmp_path: Path) -> None:
    consistency = [{"unfaithful": f, "explanation": "checked"} for f in FOUND]
    # TTCW items in order: 0_Claude test 1, 2, 0_GPT3.5 test 1, 2; the experts' majority: no.
    verdicts = [{"reason": "read", "verdict": v} for v in ("no", "yes", "no", "no")]
    judge = judge_file(
        tmp_path,
        judge_rubric=hanna_replies(),
        judge_consistency=consistency,
        judge_binary=verdicts,
    )
    done = calibrate(judge, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "calibration.json").read_text())
    hanna = report["hanna"]
    assert hanna["n"] == 8
    for key, tau in expected_taus().items():
        assert hanna["criteria"][key]["tau_b"]["value"] == pytest.approx(tau)
        interval = hanna["criteria"][key]["tau_b"]
        assert interval["low"] <= interval["value"] <= interval["high"]
    assert hanna["criteria"]["relevance"]["chatgpt_published"] == 0.12
    summ = report["storysumm"]
    # Predicted 0 1 1 0 0 1 against 0 1 0 1 0 1: recall 2/3 of each class.
    assert summ["balanced_accuracy"]["value"] == pytest.approx(200 / 3)
    assert summ["predicted_unfaithful"] == 3
    assert summ["baselines"]["GPT-4"]["published"] == 56.4
    assert summ["baselines"]["FABLES"]["published"] == 68.1
    assert summ["baselines"]["FABLES"]["same_items"] is not None
    # HANNA's ceiling: each rater against the mean of the other two.
    assert all(-1 <= row["human_ceiling"] <= 1 for row in hanna["criteria"].values())
    ttcw = report["ttcw"]
    assert ttcw["n"] == 4 and ttcw["accuracy"]["value"] == 75.0 and ttcw["judge_yes"] == 1
    assert ttcw["baselines"]["GPT-4"] == {"accuracy": 0.0, "kappa": 0.0, "n": 4}
    # One expert of three dissents on 0_Claude's two tests; the others agree: 6 of 8 agree.
    assert ttcw["ceiling"]["expert_vs_others_accuracy"] == 75.0 and ttcw["ceiling"]["n"] == 8
    # The tables print the judge's numbers beside the published ones.
    text = " ".join(done.stdout.split())
    assert "HANNA: Kendall tau-b" in text and "StorySumm: balanced accuracy" in text
    assert "TTCW: agreement with the expert majority" in text and "Human ceiling" in text
    assert f"{hanna['criteria']['coherence']['tau_b']['value']:.2f}" in text
    assert "66.7" in text and "56.4" in text and "68.1" in text
    page = (tmp_path / "out" / "calibration.html").read_text()
    assert (
        page.count("<svg") == 2
        and "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_a_killed_calibration_continues_from_the_cache(tmp_path: Path) -> None:
    judge = judge_file(tmp_path, judge_rubric=hanna_replies(delay=0.4))
    out = tmp_path / "out"
    args = ["eval", "calibrate", "--judge", f"scripted:{judge}", "--data", str(EVALDATA),
            "--out", str(out), "--jobs", "1", "--set", "hanna"]  # fmt: skip
    process = subprocess.Popen([str(CLI), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    cached = 0
    while cached < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        if (out / "evals.db").exists():
            with sqlite3.connect(out / "evals.db") as conn:
                cached = conn.execute("select count(*) from results").fetchone()[0]
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 3 <= cached < 8
    asked_before = len(read_calls(out))
    done = wr(*args)
    assert done.returncode == 0, done.stderr
    assert f"hanna: {cached} cached, {8 - cached} to do" in done.stderr
    # Only the items not cached were asked again (one may have been in flight at the kill).
    assert len(read_calls(out)) - asked_before == 8 - cached
    assert json.loads((out / "calibration.json").read_text())["hanna"]["n"] == 8


def test_calibrate_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    judge = judge_file(tmp_path, judge_rubric=hanna_replies())
    missing = calibrate(judge, tmp_path / "out", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("error: eval data folder not found")
    wrong = calibrate(judge, tmp_path / "out", "--set", "poems")
    assert wrong.returncode == 1 and "unknown --set ['poems']" in wrong.stderr
    bad_answers = judge_file(tmp_path / "bad", judge_rubric=["no JSON here"])
    failed = calibrate(bad_answers, tmp_path / "out2", "--set", "hanna", "--limit", "2")
    assert failed.returncode == 1
    assert "2 items failed" in failed.stderr
    assert "Traceback" not in failed.stderr


# eval run / score / compare ---------------------------------------------------------
def test_a_bad_suite_or_rubric_is_one_error_line(tmp_path: Path) -> None:
    suite = tmp_path / "suite.toml"
    suite.write_text('name = "tiny"\n', encoding="utf-8")
    done = wr("eval", "run", "--suite", str(suite), "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: suite {suite}: expected name and [[items]] of id, genre, premise ('items')"
    ]
    suite.write_text("name = \n", encoding="utf-8")
    done = wr("eval", "run", "--suite", str(suite), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and f"error: suite {suite}: not valid TOML" in done.stderr
    done = wr("eval", "score", str(suite), "--rubric", "nope", "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "error: no rubric named 'nope': use short_drama, hanna or a .toml file" in done.stderr


def eval_config(folder: Path, name: str, scores: int, room: dict[str, Any] | None = None) -> Path:
    """A configuration whose room replays the recorded episode and whose judge gives
    `scores` to every criterion (and prefers the second script shown)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "room.json").write_text(json.dumps(room or answers()), encoding="utf-8")
    judged = {k: {"reason": f"{k} is {scores}", "score": scores} for k in DRAMA_KEYS}
    preferred = {k: {"reason": "second", "winner": "second"} for k in [*DRAMA_KEYS, "overall"]}
    judge = judge_file(folder, judge_rubric=[judged], judge_pairwise=[preferred])
    config = folder / "eval.toml"
    config.write_text(
        f'[eval]\nname = "{name}"\njudge = "scripted:{judge}"\njobs = 2\n\n'
        f'[models]\ndefault = "scripted:{folder / "room.json"}"\n\n[room]\nreview_rounds = 1\n',
        encoding="utf-8",
    )
    return config


def run_suite(config: Path, out: Path, items: int = 2):
    """A two-premise suite (each room run renders its episode, which takes a while), of
    premises whose people the recorded bible keeps (a cleaner, an heiress, twin sisters)."""
    suite = config.parent / "suite.toml"
    premises = [
        ("hidden-heiress", "hidden identity", "A cleaner is the real heiress"),
        ("revenge-twin", "revenge", "A cleaner buys the company of the twin sister who stole it"),
    ]
    suite.write_text(
        'name = "tiny"\n'
        + "".join(
            f'[[items]]\nid = "{i}"\ngenre = "{g}"\npremise = "{p}"\n'
            for i, g, p in premises[:items]
        ),
        encoding="utf-8",
    )
    args = ["eval", "run", "--suite", str(suite), "--config", str(config), "--out", str(out)]
    return wr(*args, timeout=900)


def test_the_packaged_suites() -> None:
    smoke, standard = load_suite("smoke"), load_suite("standard")
    assert len(smoke.items) == 3
    assert len(standard.items) >= 12
    genres = {item.genre for item in standard.items}
    for genre in ("revenge", "hidden identity", "romance", "family secret", "workplace"):
        assert genre in genres
    assert any("rebirth" in genre for genre in genres)
    assert len({item.premise for item in standard.items}) == len(standard.items)


def test_run_the_smoke_suite_then_resume_it(tmp_path: Path) -> None:
    room = answers()
    good_shots = room["plan_shots"]
    room["plan_shots"] = ["not a shot list"]
    config = eval_config(tmp_path / "cfg", "baseline", 3, room)
    out = tmp_path / "run"
    failed = run_suite(config, out)
    assert failed.returncode == 1
    assert "2 items failed" in failed.stderr and "plan_shots" in failed.stderr
    items = sorted(p.name for p in (out / "items").iterdir())
    assert items == ["hidden-heiress", "revenge-twin"]
    spent = json.loads((out / "results.json").read_text())
    assert spent["summary"]["failed"] == 2
    assert spent["summary"]["failed_tokens"] == sum(
        i["metrics"]["usage"]["tokens"] for i in spent["items"]
    )
    assert spent["summary"]["failed_tokens"] > 0  # what the rooms spent before they failed
    assert spent["items"][0]["metrics"]["usage"]["agents"]["director"]["calls"] == 3
    # The items' rooms stopped at the shot list; with a working director they resume there.
    room["plan_shots"] = good_shots
    (tmp_path / "cfg" / "room.json").write_text(json.dumps(room), encoding="utf-8")
    done = run_suite(config, out)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("resuming the room run") == 2
    for item in items:
        assert (
            len([c for c in read_calls(out / "items" / item) if c["task"] == "develop_series"]) == 1
        )
        toml = (out / "items" / item / "writersroom.toml").read_text()
        assert "review_rounds = 1" in toml and "[eval]" not in toml
    results = json.loads((out / "results.json").read_text())
    assert results["name"] == "baseline" and results["suite"] == "tiny"
    assert [i["error"] for i in results["items"]] == [None, None]
    assert results["summary"]["criteria"]["hook"]["value"] == 3.0
    first = results["items"][0]
    # Rendered: the runtime is the cut's (title card included), not the plan's 16.1 s.
    assert first["metrics"]["runtime_seconds"] == first["metrics"]["video_seconds"] == 16.5
    assert first["metrics"]["timing"] == "rendered"
    assert first["metrics"]["target_runtime_seconds"] == 90
    assert first["judged"]["pacing"] == {"reason": "pacing is 3", "score": 3}
    assert first["wall_seconds"] > 0
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 2 and "hidden-heiress" in page and "pacing is 3" in page
    assert "Mean (1-5)" in done.stdout
    # A third run changes nothing: rooms finished, judgements cached.
    judge_calls = len(read_calls(tmp_path / "cfg"))
    again = run_suite(config, out)
    assert again.returncode == 0
    assert len(read_calls(tmp_path / "cfg")) == judge_calls
    assert "resuming" not in again.stderr


def test_an_episode_the_room_cannot_finish_alone_is_scored_and_flagged(tmp_path: Path) -> None:
    room = answers()
    script = room["write_script"][0]
    script["scenes"][0]["action"] = "Chen Hao is dead."  # and he speaks in scene 2
    config = eval_config(tmp_path / "cfg", "gated", 3, room)
    out = tmp_path / "run"
    done = run_suite(config, out, items=1)
    assert done.returncode == 0, done.stderr
    [item] = json.loads((out / "results.json").read_text())["items"]
    assert item["stopped"] == (
        "the room waits at approve_script for a person (2 continuity errors block it)"
    )
    assert item["judged"]["hook"]["score"] == 3
    assert item["metrics"]["continuity_errors"] == 2
    assert item["metrics"]["timing"] == "estimated"  # no shot list was made
    assert "1 unfinished" in " ".join(done.stdout.split())
    calls = len(read_calls(out / "items" / "hidden-heiress"))
    again = run_suite(config, out, items=1)
    assert again.returncode == 0, again.stderr
    assert "resuming" not in again.stderr
    assert len(read_calls(out / "items" / "hidden-heiress")) == calls


def test_compare_reads_both_runs_over_the_items_they_share(tmp_path: Path) -> None:
    def run(name: str, scores: dict[str, int], runtimes: dict[str, float]) -> Path:
        items = [
            {
                "id": item,
                "error": None,
                "judged": {"hook": {"reason": "", "score": score}},
                "metrics": {"runtime_seconds": runtimes[item]},
            }
            for item, score in scores.items()
        ]
        summary = {
            "criteria": {"hook": {"value": sum(scores.values()) / len(scores)}},
            "metrics": {"runtime_seconds": sum(runtimes.values()) / len(runtimes)},
            "model_seconds": 1.0,
            "wall_seconds": 1.0,
            "tokens": 1000,
            "cost_usd": 0.0,
        }
        folder = tmp_path / name
        folder.mkdir()
        results = {"name": name, "items": items, "summary": summary}
        (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
        return folder

    a = run("a", {"x": 2, "y": 4, "only-a": 5}, {"x": 60.0, "y": 80.0, "only-a": 10.0})
    b = run("b", {"x": 3, "y": 5}, {"x": 70.0, "y": 90.0})
    done = wr("eval", "compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert comparison["paired_items"] == 2
    hook = comparison["criteria"]["hook"]
    assert (hook["a"]["value"], hook["b"]["value"], hook["delta"]["value"]) == (3.0, 4.0, 1.0)
    assert comparison["metrics"]["runtime_seconds"] == {"a": 70.0, "b": 80.0, "delta": 10.0}


def test_compare_two_configurations(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    assert run_suite(eval_config(tmp_path / "cfg-a", "three", 3), a).returncode == 0
    # B's rooms are A's finished ones (so nothing renders twice); its judge scores 4.
    shutil.copytree(a / "items", b / "items")
    assert run_suite(eval_config(tmp_path / "cfg-b", "four", 4), b).returncode == 0
    judge = tmp_path / "cfg-b" / "judge.json"
    done = wr("eval", "compare", str(a), str(b), "--judge", f"scripted:{judge}",
              "--out", str(tmp_path / "cmp"), "--jobs", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert comparison["paired_items"] == 2
    delta = comparison["criteria"]["dialogue"]["delta"]
    assert (delta["value"], delta["low"], delta["high"]) == (1.0, 1.0, 1.0)
    # This judge always prefers the second script shown: swapping the order cancels it.
    pairwise = comparison["pairwise"]
    assert pairwise["criteria"]["overall"]["value"] == 0.5
    assert pairwise["consistency"] == 0.0
    assert len(read_calls(tmp_path / "cmp")) == 4  # 2 pairs, both orders
    text = " ".join(done.stdout.split())
    assert "+1.00" in text and "B preferred" in text
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert page.count("<svg") == 4


def test_score_project_folders_and_scripts(tmp_path: Path) -> None:
    project = make_project(tmp_path / "series", production=True)
    assert wr("run", "Twin heiresses", "--dir", str(project), "--auto").returncode == 0
    fountain = tmp_path / "roof.fountain"
    fountain.write_text("Title: Roof\n\nEXT. ROOF - NIGHT\n\nHAO\nWho are you?\n", encoding="utf-8")
    out = tmp_path / "scores"
    done = wr("eval", "score", str(project), str(fountain), "--no-judge", "--out", str(out))
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    by_id = {i["id"]: i for i in results["items"]}
    assert set(by_id) == {"series-ep1", "roof"}
    assert by_id["series-ep1"]["metrics"]["runtime_seconds"] == 16.5  # the cut's
    assert by_id["roof"]["metrics"]["ends_open"] is True
    assert by_id["roof"]["judged"] is None
    missing = wr("eval", "score", str(tmp_path / "nothing.json"), "--no-judge")
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: {tmp_path / 'nothing.json'}: no such file or folder"


def test_an_eval_configuration_splits_into_eval_settings_and_the_room(tmp_path: Path) -> None:
    config = tmp_path / "eval.toml"
    config.write_text(
        '[eval]\nname = "llamacpp"\njudge = "openai:gpt-4.1"\n'
        '[eval.prices."openai:gpt-4.1"]\ninput = 2.0\noutput = 8.0\n\n'
        '[models]\ndefault = "llamacpp:qwen"\n[room]\nreview_rounds = 0\n'
        'checkpoints = ["approve_bible"]\n'
        '[providers.llamacpp]\nkind = "openai"\nbase_url = "http://127.0.0.1:8080/v1"\n'
        'api_key = "none \\"quoted\\""\n',
        encoding="utf-8",
    )
    loaded = load_eval_config(config)
    assert loaded.name == "llamacpp" and loaded.judge == "openai:gpt-4.1"
    assert loaded.settings.cost("openai:gpt-4.1", 1_000_000, 0) == 2.0
    room = tomllib.loads(loaded.room_toml)
    assert room == {
        "models": {"default": "llamacpp:qwen"},
        "room": {"review_rounds": 0, "checkpoints": ["approve_bible"]},
        "providers": {
            "llamacpp": {
                "kind": "openai",
                "base_url": "http://127.0.0.1:8080/v1",
                "api_key": 'none "quoted"',
            }
        },
    }
    config.write_text('[eval]\njobs = 0\n[models]\ndefault = "local:x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"eval\.jobs: Input should be greater than or equal"):
        load_eval_config(config)
