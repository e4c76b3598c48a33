"""`writersroom eval sanity --judge MODEL`: does the judge prefer a script to a broken copy?

On real short-drama scripts (DramaBench, written by others) and their broken copies (scenes
shuffled, a scene duplicated, the ending cut, two speakers swapped; `controls`), the judge
compares each pair in both presentation orders. It passes a pair only when it prefers the
original in both; a judge that always picks one position passes none. The pass rate comes
with a Wilson 95% interval: a judge whose interval reaches down to chance or below cannot be
trusted to rank scripts.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from writersroom.errors import InputError, ModelError
from writersroom.evals import controls
from writersroom.evals.continuity_eval import pct
from writersroom.evals.episodes import script_text
from writersroom.evals.judge import Judge, load_rubric
from writersroom.screenplay import fountain

FILE = "dramabench/dramabench_continuation_100.jsonl"
SEED = 14
TRUSTED = 0.8  # the lower bound of the interval a trusted judge reaches


def wilson(passed: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """The Wilson score 95% interval of a proportion."""
    if n == 0:
        return None, None
    p = passed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3)


def scripts(data: Path, limit: int) -> list[tuple[str, controls.Script]]:
    path = data / FILE
    if not path.is_file():
        raise InputError(f"DramaBench scripts not found: {path}")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        (r["id"], controls.from_screenplay(fountain.parse(r["context"] + "\n" + r["continuation"])))
        for r in rows[:limit]
    ]


def check(
    judge: Judge,
    data: Path,
    limit: int = 20,
    rubric: str = "short_drama",
    progress: Callable[[str], None] | None = None,
    saved: Path | None = None,
) -> dict[str, Any]:
    """The judge's pass rate per perturbation and overall, each with its 95% interval.

    A pair the judge gives no valid answer for (after its re-asks) fails, and the check goes
    on; with `saved`, the report so far is written after every pair, so a slow judge's run
    that is stopped keeps what it judged."""
    chosen = load_rubric(rubric)
    rng = random.Random(SEED)
    items = []
    for ident, original in scripts(data, limit):
        for name, perturb in controls.PERTURBATIONS.items():
            broken = perturb(original, rng)
            if broken == original:
                continue
            item: dict[str, Any] = {"script": ident, "perturbation": name}
            try:
                merged = judge.compare(chosen, script_text(original), script_text(broken))
            except ModelError as exc:
                item |= {"original_preference": None, "passed": False, "consistent": False}
                item |= {"answered": False, "problem": str(exc)}
            else:
                overall = merged["overall"]
                item |= {
                    "original_preference": overall["a"],
                    "passed": overall["a"] == 1.0,
                    "consistent": overall["consistent"],
                    "answered": True,
                }
            items.append(item)
            if progress:
                verdict = "pass" if item["passed"] else "fail"
                progress(f"{ident} {name}: {verdict if item['answered'] else 'no valid answer'}")
            if saved is not None:
                saved.write_text(json.dumps(summarize(items, judge.spec), indent=2), "utf-8")
    return summarize(items, judge.spec)


def summarize(items: list[dict[str, Any]], spec: str) -> dict[str, Any]:
    def rate(rows: list[dict[str, Any]]) -> dict[str, Any]:
        passed = sum(r["passed"] for r in rows)
        low, high = wilson(passed, len(rows))
        return {
            "pairs": len(rows),
            "passed": passed,
            "rate": round(passed / len(rows), 3) if rows else None,
            "low": low,
            "high": high,
        }

    names = list(dict.fromkeys(r["perturbation"] for r in items))
    overall = rate(items)
    return {
        "judge": spec,
        "overall": overall,
        "unanswered": sum(not r["answered"] for r in items),
        "per_perturbation": {n: rate([r for r in items if r["perturbation"] == n]) for n in names},
        "trusted": overall["low"] is not None and overall["low"] >= TRUSTED,
        "items": items,
    }


def sanity(
    judge: Annotated[str | None, typer.Option("--judge", help="The judge model.")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="The evaldata folder.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="DramaBench scripts used.")] = 20,
    config: Annotated[Path | None, typer.Option("--config", help="An eval configuration.")] = None,
    output: Annotated[Path, typer.Option("--out", help="Where the result goes.")] = Path(
        "eval-results/sanity"
    ),
) -> None:
    """Perturbation check: the judge must prefer each original to its broken copy, both orders."""
    from writersroom.evals.commands import progress, reported, scripted_path
    from writersroom.evals.judge import build_judge
    from writersroom.evals.settings import data_folder, load_eval_config

    with reported():
        settings = load_eval_config(config)
        output.mkdir(parents=True, exist_ok=True)
        spec = scripted_path(judge or settings.judge)
        built = build_judge(spec, settings.room, output.resolve(), progress)
        saved = output / "sanity.json"
        report = check(built, data_folder(data), limit, progress=progress, saved=saved)
    saved.write_text(json.dumps(report, indent=2), encoding="utf-8")
    table = Table(title=f"Judge sanity: {report['judge']} prefers the original, both orders")
    for column in ("Perturbation", "Pairs", "Passed", "Rate", "95% interval"):
        table.add_column(column, justify="left" if column == "Perturbation" else "right")
    rows = [*report["per_perturbation"].items(), ("all", report["overall"])]
    for name, row in rows:
        interval = f"{pct(row['low'])}–{pct(row['high'])}"
        table.add_row(name, str(row["pairs"]), str(row["passed"]), pct(row["rate"]), interval)
    console = Console()
    console.print(table)
    if report["unanswered"]:
        console.print(
            f"{report['unanswered']} pair(s) got no valid answer from the judge: counted as failed",
            highlight=False,
        )
    if not report["trusted"]:
        console.print(
            f"[red]The judge is not trustworthy: its pass rate's 95% interval reaches below "
            f"{TRUSTED:.0%}.[/]",
            highlight=False,
        )
    console.print(f"Results: {output / 'sanity.json'}", highlight=False)
