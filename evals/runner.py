"""Running a suite through the room and scoring episodes: metrics, then the judge.

Each premise runs in its own project folder under `OUT/items/ID` with every checkpoint
approved; a killed suite resumes each unfinished room run from its last step, and judged
scores are cached in `OUT/evals.db` per item, judge, prompt and script.
"""

from __future__ import annotations

import hashlib
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writersroom.config import CONFIG_FILE, DATABASE_FILE
from writersroom.errors import ConfigError, WritersroomError
from writersroom.evals import episodes, metrics, stats
from writersroom.evals.cache import Progress, ResultCache
from writersroom.evals.episodes import Episode
from writersroom.evals.judge import Judge, Rubric, fingerprint
from writersroom.evals.settings import EvalConfig, packaged_toml
from writersroom.memory import EpisodeStatus
from writersroom.room.project import Project

ERROR_FILE = "eval-error.txt"


@dataclass(frozen=True)
class SuiteItem:
    id: str
    genre: str
    premise: str


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    items: tuple[SuiteItem, ...]


def load_suite(name: str) -> Suite:
    """A packaged suite by name (`smoke`, `standard`) or a suite TOML file by path."""
    data, _ = packaged_toml(name, "suites", "suite", "smoke, standard")
    try:
        items = tuple(SuiteItem(**item) for item in data["items"])
        suite = Suite(data["name"], data.get("description", ""), items)
    except (KeyError, TypeError) as exc:
        raise ConfigError(
            f"suite {name}: expected name and [[items]] of id, genre, premise ({exc})"
        ) from None
    ids = [i.id for i in suite.items]
    if not ids or len(ids) != len(set(ids)):
        raise ConfigError(f"suite {name}: item ids must be present and unique")
    return suite


@dataclass(frozen=True)
class Generation:
    worked: bool  # False when the room had nothing left to do
    stopped: str | None  # why the episode is not finished, or None


def generate(item: SuiteItem, folder: Path, config: EvalConfig, progress: Progress) -> Generation:
    """Run (or resume) the room on the item's premise in `folder` until its episode is finished
    or a checkpoint waits for a person (e.g. continuity errors block `approve_script`)."""

    def report(agent: str, task: str, usage: Any) -> None:
        if usage is None:
            progress(f"{item.id}: {agent} {task}…")
        elif usage.problem:
            progress(f"{item.id}: {agent} answer rejected: {usage.problem}")

    if not (folder / DATABASE_FILE).exists():
        folder.mkdir(parents=True, exist_ok=True)
        if config.room_toml:
            (folder / CONFIG_FILE).write_text(config.room_toml, encoding="utf-8")
        project = Project.create(folder, item.premise, report=report)
    else:
        project = Project(folder, report=report)
    try:
        if project.memory.series() is None:
            project.memory.start_series(item.premise)
        row = project.memory.episode(1)
        worked = True
        if row is None:
            project.start(auto=True)
        elif not _finished(project) and project.pending(1) is None:
            progress(f"{item.id}: resuming the room run")
            project.resume()
        else:
            worked = False
        return Generation(worked, _stopped(project))
    finally:
        project.close()


def _finished(project: Project) -> bool:
    """Episode 1 has nothing left to do: remembered, and cut unless production is off."""
    row = project.memory.episode(1)
    done = row is not None and row["status"] in (EpisodeStatus.REMEMBERED, EpisodeStatus.CUT)
    return done and not project.next_nodes(1)


def _stopped(project: Project) -> str | None:
    if _finished(project):
        return None
    waiting = project.pending(1)
    if waiting is None:
        return f"the room stopped before {', '.join(project.next_nodes(1)) or 'its end'}"
    issues = waiting.payload.get("continuity", {}).get("issues", [])
    errors = sum(1 for issue in issues if issue.get("severity") == "error")
    why = f" ({errors} continuity errors block it)" if errors else ""
    return f"the room waits at {waiting.checkpoint} for a person{why}"


def judged(episode: Episode, judge: Judge, rubric: Rubric, cache: ResultCache) -> dict[str, Any]:
    """The judge's rubric scores for an episode, from the cache when the same judge, prompt,
    rubric and script were scored before."""
    text = episodes.script_text(episode.script)
    version = fingerprint("judge_rubric", rubric.source, text)
    hit = cache.get(episode.id, "rubric", judge.spec, version)
    if hit is not None:
        return hit
    context = f"Premise: {episode.premise}" if episode.premise else ""
    if episode.outline:
        context += (
            f"\nEpisode {episode.outline.get('number', '')}: {episode.outline.get('title', '')}"
        )
    value = judge.score(rubric, text, context.strip())
    cache.put(episode.id, "rubric", judge.spec, version, value)
    return value


def score_episode(
    episode: Episode,
    config: EvalConfig,
    judge: Judge | None,
    rubric: Rubric,
    cache: ResultCache,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": episode.id,
        "source": episode.source,
        "premise": episode.premise,
    }
    result["metrics"] = metrics.measure(episode, config.settings)
    result["judged"] = judged(episode, judge, rubric, cache) if judge else None
    return result


def _wall(cache: ResultCache, item: str, seconds: float) -> float:
    """Wall seconds spent generating an item, summed over the runs that worked on it."""
    before = cache.get(item, "wall", "", "") or 0.0
    cache.put(item, "wall", "", "", before + seconds)
    return before + seconds


def run_suite(
    suite: Suite,
    config: EvalConfig,
    judge: Judge | None,
    rubric: Rubric,
    output: Path,
    jobs: int,
    progress: Progress,
) -> dict[str, Any]:
    cache = ResultCache(output)
    lock = threading.Lock()
    started = time.perf_counter()

    def evaluate(item: SuiteItem) -> dict[str, Any]:
        folder = output / "items" / item.id
        result: dict[str, Any] = {"id": item.id, "genre": item.genre, "premise": item.premise}
        started = time.perf_counter()
        try:
            generation, error = generate(item, folder, config, progress), None
            worked, result["stopped"] = generation.worked, generation.stopped
        except WritersroomError as exc:
            worked, error = True, str(exc)
        except Exception as exc:  # a bug in the room: the suite reports it and goes on
            (folder / ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
            worked = True
            error = f"{type(exc).__name__}: {exc} (traceback in {folder / ERROR_FILE})"
        with lock:
            spent = time.perf_counter() - started if worked else 0.0
            result["wall_seconds"] = round(_wall(cache, item.id, spent), 1)
        try:
            if error is None:
                episode = episodes.from_project(folder, prefix=item.id)[0]
                result |= score_episode(episode, config, judge, rubric, cache)
        except WritersroomError as exc:
            error = str(exc)
        if error is not None:
            # What the room spent before it failed still counts.
            spent_by = Episode(item.id, str(folder), {}, usage=episodes.usage_rows(folder))
            result |= {
                "source": str(folder),
                "metrics": {"usage": metrics.usage(spent_by, config.settings)},
            }
        done = "scored" + (f", unfinished: {result['stopped']}" if result.get("stopped") else "")
        progress(f"{item.id}: {'FAILED ' + error if error else done}")
        return result | {"id": item.id, "error": error}

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            items = list(pool.map(evaluate, suite.items))
    finally:
        cache.close()
    return results(config, suite.name, judge, rubric, items, time.perf_counter() - started)


def score_paths(
    paths: list[Path],
    config: EvalConfig,
    judge: Judge | None,
    rubric: Rubric,
    output: Path,
    jobs: int,
    progress: Progress,
) -> dict[str, Any]:
    started = time.perf_counter()
    found = [episode for path in paths for episode in episodes.load(path)]
    ids = [e.id for e in found]
    for episode in found:  # two sources with the same name stay apart
        if ids.count(episode.id) > 1:
            episode.id += "-" + hashlib.sha256(episode.source.encode()).hexdigest()[:6]
    cache = ResultCache(output)

    def evaluate(episode: Episode) -> dict[str, Any]:
        try:
            result = score_episode(episode, config, judge, rubric, cache) | {"error": None}
        except WritersroomError as exc:
            result = {"id": episode.id, "source": episode.source, "error": str(exc)}
        progress(f"{episode.id}: {'FAILED ' + result['error'] if result['error'] else 'scored'}")
        return result

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            items = list(pool.map(evaluate, found))
    finally:
        cache.close()
    return results(config, "(scored files)", judge, rubric, items, time.perf_counter() - started)


def metric_values(items: list[dict[str, Any]], key: str) -> list[float]:
    """The numeric values of metric `key` over `items`."""
    values = [(i.get("metrics") or {}).get(key) for i in items]
    return [float(v) for v in values if isinstance(v, int | float)]


def results(
    config: EvalConfig,
    suite: str,
    judge: Judge | None,
    rubric: Rubric,
    items: list[dict[str, Any]],
    seconds: float,
) -> dict[str, Any]:
    """The JSON results of a run: the items and their summary (means with 95% CIs)."""
    scored = [i for i in items if not i.get("error")]
    criteria = {
        key: stats.mean_ci([i["judged"][key]["score"] for i in scored if i.get("judged")]).as_dict()
        for key in rubric.keys
    }
    numeric = sorted(
        {k for i in scored for k, v in i["metrics"].items() if isinstance(v, int | float)}
    )
    usage = [i["metrics"]["usage"] for i in scored]
    costs = [u["cost_usd"] for u in usage]
    lost = [i["metrics"]["usage"] for i in items if i.get("error") and i.get("metrics")]
    return {
        "name": config.name,
        "suite": suite,
        "judge": judge.spec if judge else None,
        "rubric": rubric.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": items,
        "summary": {
            "items": len(items),
            "failed": len(items) - len(scored),
            # scored, but the room did not finish them on its own (a checkpoint waits)
            "unfinished": sum(1 for i in scored if i.get("stopped")),
            "criteria": criteria,
            "metrics": {k: sum(v) / len(v) for k in numeric if (v := metric_values(scored, k))},
            "tokens": sum(u["tokens"] for u in usage),
            "model_seconds": round(sum(u["model_seconds"] for u in usage), 1),
            "render_seconds": round(sum(u.get("render_seconds", 0.0) for u in usage), 1),
            "wall_seconds": round(sum(i.get("wall_seconds") or 0 for i in scored), 1),
            # spent on the items that failed (their rooms or judgements did not finish)
            "failed_tokens": sum(u["tokens"] for u in lost),
            "failed_model_seconds": round(sum(u["model_seconds"] for u in lost), 1),
            "failed_wall_seconds": round(
                sum(i.get("wall_seconds") or 0 for i in items if i.get("error")), 1
            ),
            "cost_usd": None if None in costs else round(sum(costs), 6),
            "judge_usage": judge.totals() if judge else None,
            "seconds": round(seconds, 1),
        },
    }
