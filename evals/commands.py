"""The evals' commands, registered on `writersroom eval` in `evals/cli.py`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from writersroom.errors import InputError, WritersroomError
from writersroom.evals import calibrate as calibration
from writersroom.evals import tables, trust
from writersroom.evals.cache import ResultCache
from writersroom.evals.compare import RESULTS_FILE, compare_runs
from writersroom.evals.judge import Judge, build_judge, load_rubric
from writersroom.evals.report import (
    write_calibration_report,
    write_compare_report,
    write_run_report,
)
from writersroom.evals.runner import load_suite, run_suite, score_paths
from writersroom.evals.settings import EvalConfig, data_folder, load_eval_config

out = Console()
err = Console(stderr=True)

ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="An eval configuration: writersroom.toml plus \\[eval]."),
]
Jobs = Annotated[
    int | None, typer.Option("--jobs", min=1, help="Items evaluated at once (default 2).")
]
JudgeSpec = Annotated[str | None, typer.Option("--judge", help="The judge model, provider:model.")]


def progress(message: str) -> None:
    err.print(message, highlight=False, markup=False)


@contextmanager
def reported() -> Iterator[None]:
    """The evals' errors as one line and exit status 1, like the room's commands."""
    try:
        yield
    except WritersroomError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("stopped: run the same command again to continue from the cached results")
        raise typer.Exit(130) from None


def scripted_path(spec: str) -> str:
    """`scripted:FILE` relative to the current folder, made absolute (the judge's folder is the
    output folder)."""
    provider, _, model = spec.partition(":")
    if provider == "scripted" and not Path(model).is_absolute() and Path(model).exists():
        return f"scripted:{Path(model).resolve()}"
    return spec


def calibrate(
    judge: JudgeSpec = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="The evaldata folder (default $WRITERSROOM_EVALDATA, ../shared/evaldata).",
        ),
    ] = None,
    config: ConfigFile = None,
    output: Annotated[Path, typer.Option("--out", help="Where results and the cache go.")] = Path(
        "eval-results/calibrate"
    ),
    jobs: Jobs = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N items of each set.")
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="hanna, storysumm and/or ttcw (default all three)."),
    ] = None,
) -> None:
    """Score human-labelled stories (HANNA, StorySumm, TTCW); report agreement with the humans."""
    with reported():
        chosen = sets or ["hanna", "storysumm", "ttcw"]
        unknown = sorted(set(chosen) - {"hanna", "storysumm", "ttcw"})
        if unknown:
            raise InputError(f"unknown --set {unknown}: choose hanna, storysumm or ttcw")
        folder = data_folder(data)
        settings = load_eval_config(config)
        spec = scripted_path(judge or settings.judge)
        output.mkdir(parents=True, exist_ok=True)
        cache = ResultCache(output)
        try:
            report = calibration.calibrate(
                build_judge(spec, settings.room, output.resolve(), progress),
                folder,
                cache,
                jobs=jobs or settings.settings.jobs,
                limit=limit,
                sets=chosen,
                progress=progress,
            )
        finally:
            cache.close()
        (output / "calibration.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        page = write_calibration_report(report, output / "calibration.html")
        for table in tables.calibration(report):
            out.print(table)
        out.print(f"Results: {output / 'calibration.json'} and {page}")
        failed = sum(len(report[s]["failed"]) for s in chosen)
        if failed:
            err.print(f"[red]error:[/] {failed} items failed (see above); run again to retry them")
            raise typer.Exit(1)


def _judge(spec: str | None, no_judge: bool, config: EvalConfig, folder: Path) -> Judge | None:
    if no_judge:
        return None
    return build_judge(scripted_path(spec or config.judge), config.room, folder.resolve(), progress)


def _write(results: dict[str, Any], output: Path) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    (output / RESULTS_FILE).write_text(
        json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return write_run_report(results, output / "report.html")


def _finish(results: dict[str, Any], output: Path, checked: list[Path] | None = None) -> None:
    judge = results.get("judge")
    results["judge_checks"] = trust.checks(judge, checked)
    page = _write(results, output)
    for table in tables.run(results):
        out.print(table)
    out.print(f"Results: {output / RESULTS_FILE} and {page}")
    if judge:
        trusted, line = trust.verdict(judge, results["judge_checks"])
        out.print(line if trusted else f"[red]{escape(line)}[/]", highlight=False)
    if results["summary"]["failed"]:
        failed = [i["id"] for i in results["items"] if i.get("error")]
        err.print(
            f"[red]error:[/] {len(failed)} items failed ({', '.join(failed)}); "
            "run again to retry them",
            highlight=False,
        )
        raise typer.Exit(1)


NoJudge = Annotated[
    bool, typer.Option("--no-judge", help="Deterministic metrics only, no judge calls.")
]
JudgeChecks = Annotated[
    list[Path] | None,
    typer.Option(
        "--judge-checks",
        help="Folders with the judge's calibration.json and sanity.json "
        "(default eval-results/calibrate and eval-results/sanity).",
    ),
]
RubricName = Annotated[
    str | None, typer.Option("--rubric", help="short_drama (default) or a rubric .toml file.")
]


def run(
    suite: Annotated[str, typer.Option("--suite", help="smoke, standard or a suite .toml file.")],
    config: ConfigFile = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Default eval-results/SUITE-CONFIG; rerun to resume."),
    ] = None,
    judge: JudgeSpec = None,
    no_judge: NoJudge = False,
    rubric: RubricName = None,
    jobs: Jobs = None,
    judge_checks: JudgeChecks = None,
) -> None:
    """Run every premise of a suite through the room (--auto), then score the episodes."""
    with reported():
        settings = load_eval_config(config)
        chosen = load_suite(suite)
        output = output or Path("eval-results") / f"{chosen.name}-{settings.name}"
        output.mkdir(parents=True, exist_ok=True)
        results = run_suite(
            chosen,
            settings,
            _judge(judge, no_judge, settings, output),
            load_rubric(rubric or settings.settings.rubric),
            output,
            jobs or settings.settings.jobs,
            progress,
        )
        results["config"] = str(config) if config else None
        _finish(results, output, judge_checks)


def score(
    paths: Annotated[
        list[Path], typer.Argument(help="Project folders, .json scripts or .fountain files.")
    ],
    config: ConfigFile = None,
    output: Annotated[Path, typer.Option("--out", help="Where results go.")] = Path(
        "eval-results/score"
    ),
    judge: JudgeSpec = None,
    no_judge: NoJudge = False,
    rubric: RubricName = None,
    jobs: Jobs = None,
    judge_checks: JudgeChecks = None,
) -> None:
    """Score existing episodes or scripts: deterministic metrics and the judge's rubric."""
    with reported():
        settings = load_eval_config(config)
        output.mkdir(parents=True, exist_ok=True)
        results = score_paths(
            paths,
            settings,
            _judge(judge, no_judge, settings, output),
            load_rubric(rubric or settings.settings.rubric),
            output,
            jobs or settings.settings.jobs,
            progress,
        )
        _finish(results, output, judge_checks)


def compare(
    a: Annotated[Path, typer.Argument(help="The first run's output folder (or results.json).")],
    b: Annotated[Path, typer.Argument(help="The second run's output folder (or results.json).")],
    judge: Annotated[
        str | None,
        typer.Option("--judge", help="Also ask this judge which is better, in both orders."),
    ] = None,
    config: ConfigFile = None,
    output: Annotated[Path, typer.Option("--out", help="Where the comparison goes.")] = Path(
        "eval-results/compare"
    ),
    rubric: RubricName = None,
    jobs: Jobs = None,
) -> None:
    """Compare two runs on the same suite: per-criterion deltas with 95% CIs, cost and time."""
    with reported():
        settings = load_eval_config(config)
        output.mkdir(parents=True, exist_ok=True)
        comparison = compare_runs(
            a,
            b,
            _judge(judge, judge is None, settings, output),
            load_rubric(rubric or settings.settings.rubric),
            output,
            jobs or settings.settings.jobs,
            progress,
        )
        (output / "compare.json").write_text(
            json.dumps(comparison, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        page = write_compare_report(comparison, output / "compare.html")
        for table in tables.compare(comparison):
            out.print(table)
        out.print(f"Results: {output / 'compare.json'} and {page}")
        failed = (comparison.get("pairwise") or {}).get("failed")
        if failed:
            err.print(f"[red]error:[/] {len(failed)} pairwise comparisons failed; run again")
            raise typer.Exit(1)
