"""TTCW (Chakrabarty et al., CHI 2024): 14 binary expert tests of creative writing.

The judge applies each test to the 36 stories whose text is published (the New Yorker stories
are links only); its verdicts are compared with the majority of three experts: accuracy and
Cohen's kappa, with a bootstrap 95% CI. Beside it, the published LLM judges' verdicts on the
same items (recomputed from their released answers) and the ceiling: one expert against the
majority of the other two (when those two agree), and the experts' mean pairwise kappa.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from writersroom.errors import InputError
from writersroom.evals import stats
from writersroom.evals.cache import Progress, ResultCache, map_cached
from writersroom.evals.judge import Judge, fingerprint

TESTS = "ttcw/tests/ttcw_all_tests.json"
STORIES = "ttcw/stories/ttcw_short_stories.json"
ANNOTATIONS = "ttcw/annotations/ttcw_annotations.json"
BASELINES = {
    "GPT-4": "annotations_gpt4.jsonl",
    "Claude 3 Opus": "annotations_claude3-opus.jsonl",
    "Gemini Pro": "annotations_gemini-pro.jsonl",
    "ChatGPT": "annotations_cgpt.jsonl",
}


@dataclass(frozen=True)
class Item:
    story: str  # story_id, e.g. "0_Claude"
    test: int  # ttcw_idx, 1-14
    experts: tuple[int, ...]  # 1 yes, 0 no, one per expert

    @property
    def majority(self) -> int:
        return int(sum(self.experts) * 2 > len(self.experts))


def _json(data: Path, name: str) -> Any:
    path = data / name
    if not path.is_file():
        raise InputError(f"{path} not found: is {data} the evaldata folder (see its README.txt)?")
    return json.loads(path.read_text(encoding="utf-8"))


def load(data: Path) -> tuple[dict[int, str], dict[str, str], list[Item]]:
    """The tests (index -> full prompt), the stories with text, and the expert-labeled items."""
    try:
        tests = {t["ttcw_idx"]: t["full_prompt"] for t in _json(data, TESTS)}
        stories = {
            s["story_id"]: s["content"]
            for s in _json(data, STORIES)
            if not str(s["content"]).startswith("http")
        }
        verdicts: dict[tuple[str, int], list[int]] = defaultdict(list)
        for a in _json(data, ANNOTATIONS):
            verdicts[(a["story_id"], a["ttcw_idx"])].append(int(a["binary_verdict"] == "Yes"))
    except (KeyError, TypeError) as exc:
        raise InputError(f"{data / 'ttcw'}: unexpected fields ({exc})") from None
    items = [
        Item(story, test, tuple(v))
        for (story, test), v in sorted(verdicts.items())
        if story in stories and test in tests
    ]
    return tests, stories, items


def kappa(a: list[int], b: list[int]) -> float | None:
    """Cohen's kappa of two binary raters."""
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return None if expected == 1 else round((observed - expected) / (1 - expected), 3)


def accuracy(a: list[int], b: list[int]) -> float | None:
    return round(100 * sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 1) if a else None


def ceiling(items: list[Item]) -> dict[str, Any]:
    """How well one expert agrees with the others: the bound a judge is measured against."""
    mine, others = [], []
    for item in items:
        for i, verdict in enumerate(item.experts):
            rest = [v for j, v in enumerate(item.experts) if j != i]
            if len(set(rest)) == 1:  # the other two agree: their majority is defined
                mine.append(verdict)
                others.append(rest[0])
    pairs = [
        kappa([it.experts[i] for it in items], [it.experts[j] for it in items])
        for i, j in combinations(range(3), 2)
    ]
    known = [k for k in pairs if k is not None]
    return {
        "expert_vs_others_accuracy": accuracy(mine, others),
        "expert_vs_others_kappa": kappa(mine, others),
        "expert_pairwise_kappa": round(sum(known) / len(known), 3) if known else None,
        "n": len(mine),
    }


def baseline(data: Path, file: str, items: list[Item]) -> dict[str, Any] | None:
    """A published LLM judge's accuracy and kappa vs the expert majority on the same items."""
    path = data / "ttcw" / "llm_judgments" / file
    if not path.is_file():
        return None
    said = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            answer = row.get("response", "").strip().lower()
            if answer.startswith(("yes", "no")):
                said[row["id"]] = int(answer.startswith("yes"))
    ids = {it: f"story_{it.story}_test{it.test}" for it in items}
    scored = [(it, said[ids[it]]) for it in items if ids[it] in said]
    truth = [it.majority for it, _ in scored]
    predicted = [v for _, v in scored]
    return {
        "accuracy": accuracy(truth, predicted),
        "kappa": kappa(truth, predicted),
        "n": len(truth),
    }


def calibrate_ttcw(
    judge: Judge,
    data: Path,
    cache: ResultCache,
    jobs: int,
    limit: int | None,
    progress: Progress,
) -> dict[str, Any]:
    tests, stories, items = load(data)
    chosen = items[:limit]
    work = [
        (f"ttcw-{it.story}-{it.test}", lambda it=it: judge.test(tests[it.test], stories[it.story]))
        for it in chosen
    ]
    version = fingerprint("judge_binary")
    results, failures = map_cached(cache, work, "ttcw", judge.spec, version, jobs, progress)
    scored = [it for it in chosen if f"ttcw-{it.story}-{it.test}" in results]
    truth = [it.majority for it in scored]
    predicted = [int(results[f"ttcw-{it.story}-{it.test}"]["verdict"] == "yes") for it in scored]

    def acc(indexes: list[int]) -> float | None:
        return accuracy([truth[i] for i in indexes], [predicted[i] for i in indexes])

    baselines = {}
    for name, file in BASELINES.items():
        found = baseline(data, file, scored)
        if found is not None:
            baselines[name] = found
    return {
        "n": len(scored),
        "failed": failures,
        "accuracy": stats.bootstrap(acc, len(scored)).as_dict(),
        "kappa": kappa(truth, predicted),
        "judge_yes": sum(predicted),
        "experts_yes": sum(truth),
        "ceiling": ceiling(scored),
        "baselines": baselines,
    }
