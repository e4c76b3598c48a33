"""Comparing two runs (two configurations on the same suite): per-criterion deltas paired by
premise with bootstrap CIs, metric deltas, cost and time, and optionally the judge's pairwise
preference with the order swapped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from writersroom.errors import InputError
from writersroom.evals import episodes, stats
from writersroom.evals.cache import Progress, ResultCache, map_cached
from writersroom.evals.judge import Judge, Rubric, fingerprint
from writersroom.evals.runner import metric_values

RESULTS_FILE = "results.json"


def load_results(path: Path) -> tuple[Path, dict[str, Any]]:
    """A run's results from its output folder or its results.json."""
    file = path / RESULTS_FILE if path.is_dir() else path
    try:
        return file, json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: not the results of `writersroom eval run` ({exc})") from None


def _scores(item: dict[str, Any], key: str) -> float | None:
    judged = item.get("judged") or {}
    return judged[key]["score"] if key in judged else None


def _paired(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[dict, dict]]:
    by_id = {i["id"]: i for i in b["items"] if not i.get("error")}
    return [(i, by_id[i["id"]]) for i in a["items"] if not i.get("error") and i["id"] in by_id]


def _script(item: dict[str, Any]) -> tuple[str, str]:
    """The script text of a run's item and its context, read again from its source."""
    source = Path(item["source"])
    found = episodes.load(source)
    if not found:
        raise InputError(f"{source}: no episode with a script to compare")
    episode = found[0]
    return episodes.script_text(episode.script), f"Premise: {episode.premise}"


def pairwise(
    pairs: list[tuple[dict, dict]],
    judge: Judge,
    rubric: Rubric,
    cache: ResultCache,
    jobs: int,
    progress: Progress,
) -> dict[str, Any]:
    """The judge compares each pair in both orders; B's preference per criterion with a CI."""

    def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        (text_a, context), (text_b, _) = _script(a), _script(b)
        return judge.compare(rubric, text_a, text_b, context)

    work = [
        (f"{a['id']}|{a['source']}|{b['source']}", lambda a=a, b=b: compare(a, b)) for a, b in pairs
    ]
    version = fingerprint("judge_pairwise", rubric.source)
    found, failures = map_cached(cache, work, "pairwise", judge.spec, version, jobs, progress)
    merged = list(found.values())
    keys = [*rubric.keys, "overall"]
    verdicts = [m[k]["consistent"] for m in merged for k in keys]
    return {
        "judge": judge.spec,
        "n": len(merged),
        "failed": failures,
        "criteria": {
            key: stats.mean_ci([1.0 - m[key]["a"] for m in merged]).as_dict() for key in keys
        },
        "consistency": sum(verdicts) / len(verdicts) if verdicts else 0.0,
    }


def compare_runs(
    path_a: Path,
    path_b: Path,
    judge: Judge | None,
    rubric: Rubric,
    output: Path,
    jobs: int,
    progress: Progress,
) -> dict[str, Any]:
    file_a, a = load_results(path_a)
    file_b, b = load_results(path_b)
    pairs = _paired(a, b)
    if not pairs:
        raise InputError(f"{file_a} and {file_b} share no scored items (same suite, same ids?)")
    # both sides over the paired items only, so that each row compares the same premises
    side_a, side_b = [i for i, _ in pairs], [j for _, j in pairs]
    criteria = {}
    for key in a["summary"]["criteria"]:
        deltas = [
            y - x
            for x, y in ((_scores(i, key), _scores(j, key)) for i, j in pairs)
            if x is not None and y is not None
        ]
        criteria[key] = {
            side: stats.mean_ci([s for i in items if (s := _scores(i, key)) is not None]).as_dict()
            for side, items in (("a", side_a), ("b", side_b))
        } | {"delta": stats.mean_ci(deltas).as_dict()}
    metrics = {}
    for key in sorted(set(a["summary"]["metrics"]) & set(b["summary"]["metrics"])):
        xs, ys = metric_values(side_a, key), metric_values(side_b, key)
        if xs and ys:
            mean_a, mean_b = sum(xs) / len(xs), sum(ys) / len(ys)
            metrics[key] = {"a": mean_a, "b": mean_b, "delta": mean_b - mean_a}
    comparison: dict[str, Any] = {
        "a": {"name": a["name"], "path": str(file_a)},
        "b": {"name": b["name"], "path": str(file_b)},
        "paired_items": len(pairs),
        "criteria": criteria,
        "metrics": metrics,
        "cost": {
            side: [
                run["summary"]["model_seconds"],
                run["summary"].get("render_seconds", 0.0),
                run["summary"]["wall_seconds"],
                run["summary"]["tokens"] / 1000,
            ]
            for side, run in (("a", a), ("b", b))
        },
        "cost_usd": {"a": a["summary"]["cost_usd"], "b": b["summary"]["cost_usd"]},
    }
    if judge is not None:
        cache = ResultCache(output)
        try:
            comparison["pairwise"] = pairwise(pairs, judge, rubric, cache, jobs, progress)
        finally:
            cache.close()
    return comparison
