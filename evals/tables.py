"""The evals' results as tables for the terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from writersroom.evals.report import COST_LABELS

HANNA_COLUMNS = (
    "Criterion",
    "Judge tau-b",
    "95% CI",
    "ChatGPT (published)",
    "ChatGPT (same items)",
    "Judge mean score",
    "Human ceiling",
)


def num(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def interval(estimate: dict[str, Any], digits: int = 2, signed: bool = False) -> str:
    if estimate.get("low") is None:
        return "n/a"
    low = num(estimate["low"], digits, signed)
    high = num(estimate["high"], digits, signed)
    return f"[{low}, {high}]"


def calibration(report: dict[str, Any]) -> list[Table]:
    result = []
    if "hanna" in report:
        hanna = report["hanna"]
        table = Table(
            title=f"HANNA: Kendall tau-b vs the human mean, {hanna['n']} human-written stories, "
            f"judge {report['judge']}"
        )
        for column in HANNA_COLUMNS:
            table.add_column(column)
        for key, row in hanna["criteria"].items():
            table.add_row(
                f"{row['abbr']} {key}",
                num(row["tau_b"]["value"]),
                interval(row["tau_b"]),
                num(row["chatgpt_published"]),
                num(row["chatgpt_same_items"]),
                num(row["mean_score"]),
                num(row.get("human_ceiling")),
            )
        table.caption = "human ceiling: each rater's tau-b against the mean of the other two"
        result.append(table)
    if "storysumm" in report:
        summ = report["storysumm"]
        table = Table(
            title=f"StorySumm: balanced accuracy (%), {summ['n']} summaries, "
            f"judge {report['judge']}"
        )
        for column in ("Detector", "Balanced accuracy", "95% CI", "Same items (recomputed)"):
            table.add_column(column)
        accuracy = summ["balanced_accuracy"]
        table.add_row(
            f"this judge (test split: {num(summ['balanced_accuracy_test_split']['value'], 1)})",
            num(accuracy["value"], 1),
            interval(accuracy, 1),
            "",
        )
        for name, baseline in summ["baselines"].items():
            table.add_row(
                f"{name} (published)",
                num(baseline["published"], 1),
                "",
                num(baseline["same_items"], 1),
            )
        table.caption = (
            f"predicted unfaithful {summ['predicted_unfaithful']} of {summ['n']}; "
            f"humans: {summ['human_unfaithful']}"
        )
        result.append(table)
    if "ttcw" in report:
        result.append(ttcw_table(report))
    return result


def ttcw_table(report: dict[str, Any]) -> Table:
    ttcw = report["ttcw"]
    table = Table(
        title=f"TTCW: agreement with the expert majority, {ttcw['n']} story-test pairs, "
        f"judge {report['judge']}"
    )
    for column in ("Rater", "Accuracy (%)", "95% CI", "Cohen's kappa", "Pairs"):
        table.add_column(column)
    accuracy = ttcw["accuracy"]
    table.add_row(
        "this judge",
        num(accuracy["value"], 1),
        interval(accuracy, 1),
        num(ttcw["kappa"]),
        str(ttcw["n"]),
    )
    for name, row in ttcw["baselines"].items():
        table.add_row(
            f"{name} (published answers)",
            num(row["accuracy"], 1),
            "",
            num(row["kappa"]),
            str(row["n"]),
        )
    ceiling = ttcw["ceiling"]
    table.add_row(
        "one expert vs the other two (ceiling)",
        num(ceiling["expert_vs_others_accuracy"], 1),
        "",
        num(ceiling["expert_vs_others_kappa"]),
        str(ceiling["n"]),
    )
    table.caption = (
        f"judge says yes {ttcw['judge_yes']}, experts' majority {ttcw['experts_yes']} of "
        f"{ttcw['n']}; experts' mean pairwise kappa {num(ceiling['expert_pairwise_kappa'])}"
    )
    return table


SUMMARY_METRICS = (
    ("hook_seconds", "hook, seconds to first line or conflict"),
    ("hook_in_time", "share with the hook within 5 s"),
    ("runtime_ratio", "runtime / target"),
    ("cliffhanger_beat_at_end", "share with a cliffhanger beat at the end"),
    ("ends_open", "share ending on an open moment"),
    ("speech_wps", "speech, words per second"),
    ("lines_per_scene", "lines per scene"),
    ("distinct_2", "distinct-2 of the dialogue"),
    ("repeats", "repeated scenes, actions and lines"),
    ("monologues", "runs of more than 3 lines by one speaker"),
    ("junk", "decoding junk in action and lines"),
    ("speakers", "speakers"),
    ("premise_roles_lost", "premise roles lost by the bible"),
    ("copied_loglines", "season loglines copied"),
    ("schema_valid", "share of valid drafts"),
    ("answers_accepted", "share of model answers accepted"),
    ("continuity_errors", "continuity errors (final report)"),
    ("continuity_warnings", "continuity warnings (final report)"),
    ("revision_rounds", "revision rounds"),
)


def run(results: dict[str, Any]) -> list[Table]:
    summary = results["summary"]
    title = (
        f"{results['name']} on {results['suite']}: {summary['items'] - summary['failed']} of "
        f"{summary['items']} items scored ({summary.get('unfinished', 0)} unfinished), "
        f"judge {results['judge'] or '(none)'}"
    )
    judged = Table(title=title)
    for column in ("Criterion", "Mean (1-5)", "95% CI", "n"):
        judged.add_column(column)
    for key, estimate in summary["criteria"].items():
        judged.add_row(key, num(estimate["value"]), interval(estimate), str(estimate["n"]))
    metrics = Table(title="Deterministic metrics (mean over items)")
    metrics.add_column("Metric")
    metrics.add_column("Mean")
    for key, label in SUMMARY_METRICS:
        metrics.add_row(label, num(summary["metrics"].get(key)))
    cost = summary["cost_usd"]
    metrics.caption = (
        f"{summary['tokens']} tokens, {summary['model_seconds']} s of model time, "
        f"{summary['render_seconds']} s rendering, "
        f"{summary['wall_seconds']} s wall generating, cost "
        f"{'unpriced' if cost is None else f'${cost:.4f}'}"
    )
    if summary["failed"]:
        metrics.caption += (
            f"; the {summary['failed']} failed items spent {summary['failed_tokens']} tokens, "
            f"{summary['failed_model_seconds']} s of model time"
        )
    return [judged, metrics] if results["judge"] else [metrics]


def compare(comparison: dict[str, Any]) -> list[Table]:
    a, b = comparison["a"]["name"], comparison["b"]["name"]
    table = Table(title=f"A = {a}, B = {b}: {comparison['paired_items']} paired items")
    pairwise = comparison.get("pairwise")
    columns = ["Criterion", "A mean", "B mean", "B - A", "95% CI"]
    columns += ["B preferred", "95% CI"] if pairwise else []
    for column in columns:
        table.add_column(column)
    for key, row in comparison["criteria"].items():
        cells = [key, num(row["a"]["value"]), num((row["b"] or {}).get("value"))]
        cells += [num(row["delta"]["value"], signed=True), interval(row["delta"], signed=True)]
        if pairwise:
            share = pairwise["criteria"][key]
            cells += [num(share["value"]), interval(share)]
        table.add_row(*cells)
    if pairwise:
        overall = pairwise["criteria"]["overall"]
        table.add_row("overall", "", "", "", "", num(overall["value"]), interval(overall))
        table.caption = (
            f"pairwise judge {pairwise['judge']}, both orders; they agreed on "
            f"{pairwise['consistency']:.0%} of verdicts"
        )
    metrics = Table(title="Metrics and cost")
    for column in ("Metric", "A", "B", "B - A"):
        metrics.add_column(column)
    for key, row in comparison["metrics"].items():
        metrics.add_row(key, num(row["a"]), num(row["b"]), num(row["delta"], signed=True))
    for label, x, y in zip(
        COST_LABELS, comparison["cost"]["a"], comparison["cost"]["b"], strict=True
    ):
        metrics.add_row(label, num(x, 1), num(y, 1), num(y - x, 1, signed=True))
    return [table, metrics]
