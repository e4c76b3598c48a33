"""Calibrating the judge against human labels nobody here wrote.

HANNA: the judge scores the 96 human-written stories on HANNA's six criteria; Kendall's tau-b
against the mean of the three human raters, per criterion, with a bootstrap 95% CI; beside it
the human ceiling: each rater against the mean of the other two, averaged over the raters.
StorySumm: the judge finds unfaithful summary sentences; a summary with any is predicted
unfaithful; balanced accuracy against the human summary-level labels.
TTCW: the judge applies 14 binary expert tests to 36 stories (see `ttcw`).

The data folder is a setting (`--data` or WRITERSROOM_EVALDATA); see its README.txt.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writersroom.errors import InputError
from writersroom.evals import stats, ttcw
from writersroom.evals.cache import Progress, ResultCache, map_cached
from writersroom.evals.judge import Judge, fingerprint, load_rubric

# HANNA column name -> (our criterion key, abbreviation, the published ChatGPT tau-b).
HANNA = {
    "Relevance": ("relevance", "RE", 0.12),
    "Coherence": ("coherence", "CH", 0.32),
    "Empathy": ("empathy", "EM", 0.24),
    "Surprise": ("surprise", "SU", 0.23),
    "Engagement": ("engagement", "EG", 0.23),
    "Complexity": ("complexity", "CX", 0.27),
}
HANNA_FILE = "hanna/hanna_human_stories_with_ratings.csv"
STORYSUMM_FILE = "storysumm/storysumm.json"
# Published balanced accuracy on all 96 StorySumm summaries, and the predictions behind it.
STORYSUMM_BASELINES = {
    "GPT-4": (56.4, "storysumm/predicted_labels/gpt-4-0125-preview/justquestion.json"),
    "FABLES": (68.1, "storysumm/predicted_labels/fables-gpt-4-turbo-preview.json"),
}


@dataclass(frozen=True)
class Story:
    id: str
    prompt: str
    text: str
    human: dict[str, float]  # criterion key -> mean of the three raters
    chatgpt: dict[str, float]  # criterion key -> ChatGPT (Eval-Prompt 1), as published
    raters: dict[str, tuple[float, ...]]  # criterion key -> each rater's score


@dataclass(frozen=True)
class Summary:
    id: str
    story: str
    sentences: list[str]
    faithful: int  # the human label: 1 faithful, 0 not
    split: str


def _open(data: Path, name: str) -> str:
    path = data / name
    if not path.is_file():
        raise InputError(f"{path} not found: is {data} the evaldata folder (see its README.txt)?")
    return path.read_text(encoding="utf-8")


def load_hanna(data: Path) -> list[Story]:
    rows = list(csv.DictReader(_open(data, HANNA_FILE).splitlines(keepends=True)))
    try:
        return [
            Story(
                id=row["story_id"],
                prompt=row["prompt"],
                text=row["story"],
                human={key: float(row[f"human_mean_{col}"]) for col, (key, _, _) in HANNA.items()},
                chatgpt={
                    key: float(row[f"chatgpt_p1_{col}"]) for col, (key, _, _) in HANNA.items()
                },
                raters={
                    key: tuple(float(row[f"human_rater{r}_{col}"]) for r in (1, 2, 3))
                    for col, (key, _, _) in HANNA.items()
                },
            )
            for row in rows
        ]
    except (KeyError, ValueError) as exc:
        raise InputError(f"{data / HANNA_FILE}: unexpected columns or values ({exc})") from None


def load_storysumm(data: Path) -> list[Summary]:
    # The file holds raw control characters in strings (see storysumm/SOURCE.txt).
    items = json.loads(_open(data, STORYSUMM_FILE), strict=False)
    try:
        return [
            Summary(key, item["story"], list(item["summary"]), int(item["label"]), item["split"])
            for key, item in items.items()
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{data / STORYSUMM_FILE}: unexpected fields ({exc})") from None


def _recomputed(data: Path, file: str, summaries: list[Summary]) -> float | None:
    """A published detector's balanced accuracy, recomputed from its predictions if present."""
    path = data / file
    if not path.is_file():
        return None
    predicted = json.loads(path.read_text(encoding="utf-8"))
    scored = [s for s in summaries if s.id in predicted]
    return stats.balanced_accuracy(
        [s.faithful for s in scored], [int(predicted[s.id]["label"]) for s in scored]
    )


def human_ceiling(stories: list[Story], key: str) -> float | None:
    """Kendall's tau-b of each rater against the mean of the other two, averaged: how well
    people agree with people, the most a judge can be expected to reach."""
    taus = []
    for r in range(3):
        one = [s.raters[key][r] for s in stories]
        rest = [sum(v for i, v in enumerate(s.raters[key]) if i != r) / 2 for s in stories]
        tau = stats.kendall_tau_b(one, rest) if len(stories) > 1 else None
        if tau is not None:
            taus.append(tau)
    return round(sum(taus) / len(taus), 3) if taus else None


def calibrate_hanna(
    judge: Judge, stories: list[Story], cache: ResultCache, jobs: int, progress: Progress
) -> dict[str, Any]:
    rubric = load_rubric("hanna")
    work = [
        (
            f"hanna-{story.id}",
            lambda s=story: judge.score(rubric, s.text, f"Writing prompt: {s.prompt}"),
        )
        for story in stories
    ]
    version = fingerprint("judge_rubric", rubric.source)
    results, failures = map_cached(cache, work, "hanna", judge.spec, version, jobs, progress)
    scored = [s for s in stories if f"hanna-{s.id}" in results]
    criteria = {}
    for _, (key, abbr, published) in HANNA.items():
        human = [s.human[key] for s in scored]
        judged = [results[f"hanna-{s.id}"][key]["score"] for s in scored]
        criteria[key] = {
            "abbr": abbr,
            "tau_b": stats.tau_b_ci(human, judged).as_dict(),
            "mean_score": sum(judged) / len(judged) if judged else None,
            "human_ceiling": human_ceiling(scored, key),
            "chatgpt_published": published,
            "chatgpt_same_items": stats.kendall_tau_b(human, [s.chatgpt[key] for s in scored])
            if len(scored) > 1
            else None,
        }
    return {"n": len(scored), "failed": failures, "criteria": criteria}


def calibrate_storysumm(
    judge: Judge,
    summaries: list[Summary],
    data: Path,
    cache: ResultCache,
    jobs: int,
    progress: Progress,
) -> dict[str, Any]:
    work = [
        (f"storysumm-{s.id}", lambda s=s: judge.faithfulness(s.story, s.sentences))
        for s in summaries
    ]
    version = fingerprint("judge_consistency")
    results, failures = map_cached(cache, work, "storysumm", judge.spec, version, jobs, progress)
    scored = [s for s in summaries if f"storysumm-{s.id}" in results]
    truth = [s.faithful for s in scored]
    predicted = [0 if results[f"storysumm-{s.id}"]["unfaithful"] else 1 for s in scored]

    def accuracy(indexes: list[int]) -> float | None:
        return stats.balanced_accuracy([truth[i] for i in indexes], [predicted[i] for i in indexes])

    test = [i for i, s in enumerate(scored) if s.split == "test"]
    return {
        "n": len(scored),
        "failed": failures,
        "balanced_accuracy": stats.bootstrap(accuracy, len(scored)).as_dict(),
        "balanced_accuracy_test_split": {"value": accuracy(test), "n": len(test)},
        "predicted_unfaithful": predicted.count(0),
        "human_unfaithful": truth.count(0),
        "baselines": {
            name: {"published": published, "same_items": _recomputed(data, file, scored)}
            for name, (published, file) in STORYSUMM_BASELINES.items()
        },
    }


def calibrate(
    judge: Judge,
    data: Path,
    cache: ResultCache,
    *,
    jobs: int,
    limit: int | None,
    sets: list[str],
    progress: Progress,
) -> dict[str, Any]:
    """Run the chosen calibration sets (`hanna`, `storysumm`, `ttcw`); the first `limit` items
    of each."""
    started = time.perf_counter()
    report: dict[str, Any] = {"judge": judge.spec, "data": str(data), "limit": limit}
    if "hanna" in sets:
        stories = load_hanna(data)[:limit]
        report["hanna"] = calibrate_hanna(judge, stories, cache, jobs, progress)
    if "storysumm" in sets:
        summaries = load_storysumm(data)[:limit]
        report["storysumm"] = calibrate_storysumm(judge, summaries, data, cache, jobs, progress)
    if "ttcw" in sets:
        report["ttcw"] = ttcw.calibrate_ttcw(judge, data, cache, jobs, limit, progress)
    report["judge_usage"] = judge.totals()
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
