"""The evals' HTML pages: one self-contained file each (inline SVG and CSS, no script, no
network), beside the JSON results they are drawn from."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from writersroom.evals.svg import Point, Series, chart

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f2f2f2}td.n{text-align:right}
.small{color:#666;font-size:12px}
"""


def page(title: str, body: list[str]) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return '<td class="n">n/a</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, float):
        return f'<td class="n">{value:.{digits}f}</td>'
    if isinstance(value, int):
        return f'<td class="n">{value}</td>'
    return f"<td>{escape(str(value))}</td>"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _point(estimate: dict[str, Any] | None) -> Point:
    estimate = estimate or {}
    return Point(estimate.get("value"), estimate.get("low"), estimate.get("high"))


# calibration ------------------------------------------------------------------
def write_calibration_report(report: dict[str, Any], path: Path) -> Path:
    body = [f"<p>Judge <b>{escape(report['judge'])}</b>; data {escape(report['data'])}.</p>"]
    if "hanna" in report:
        rows = report["hanna"]["criteria"]
        labels = [f"{r['abbr']} {key}" for key, r in rows.items()]
        body.append(
            chart(
                f"HANNA: Kendall tau-b vs human mean ({report['hanna']['n']} stories)",
                labels,
                [
                    Series("this judge (95% CI)", [_point(r["tau_b"]) for r in rows.values()]),
                    Series(
                        "ChatGPT (published)",
                        [Point(r["chatgpt_published"]) for r in rows.values()],
                    ),
                ],
                domain=(-0.3, 0.7),
                reference=0.0,
            )
        )
    if "storysumm" in report:
        summ = report["storysumm"]
        names = ["this judge", *summ["baselines"]]
        points = [_point(summ["balanced_accuracy"])]
        points += [Point(b["published"]) for b in summ["baselines"].values()]
        body.append(
            chart(
                f"StorySumm: balanced accuracy, % ({summ['n']} summaries)",
                names,
                [Series("balanced accuracy", points)],
                domain=(0, 100),
                reference=50.0,
                digits=1,
            )
        )
    usage = report["judge_usage"]
    body.append(
        f'<p class="small">{usage["calls"]} judge calls ({usage["rejected"]} rejected and asked '
        f"again), {usage['input_tokens']} input and {usage['output_tokens']} output tokens, "
        f"{usage['seconds']} s of model time this run; {report['seconds']} s wall.</p>"
    )
    path.write_text(page("Judge calibration", body), encoding="utf-8")
    return path


# a run ------------------------------------------------------------------------
METRIC_COLUMNS = [
    ("hook_seconds", "hook s"),
    ("runtime_seconds", "runtime s"),
    ("target_runtime_seconds", "target s"),
    ("cliffhanger_beat_at_end", "cliffhanger beat"),
    ("ends_open", "ends open"),
    ("speech_wps", "words/s"),
    ("lines_per_scene", "lines/scene"),
    ("distinct_2", "distinct-2"),
    ("repeats", "repeats"),
    ("monologues", "monologues"),
    ("junk", "junk"),
    ("speakers", "speakers"),
    ("premise_roles_lost", "roles lost"),
    ("schema_valid", "valid"),
    ("continuity_errors", "cont. errors"),
    ("continuity_warnings", "cont. warnings"),
    ("revision_rounds", "revisions"),
]


def _seconds(results: dict[str, Any]) -> dict[str, float]:
    """Seconds spent per agent (model calls) and per render tool, over all items."""
    totals: dict[str, float] = {}
    for item in results["items"]:
        usage = (item.get("metrics") or {}).get("usage") or {}
        for agent, row in usage.get("agents", {}).items():
            totals[agent] = totals.get(agent, 0.0) + row["seconds"]
        for tool, row in usage.get("tools", {}).items():
            totals[f"tool {tool}"] = totals.get(f"tool {tool}", 0.0) + row["seconds"]
    return totals


def run_section(results: dict[str, Any]) -> list[str]:
    summary = results["summary"]
    criteria = summary["criteria"]
    body = [
        chart(
            f"Judged scores, mean and 95% CI ({results['name']}, judge {results['judge']})",
            list(criteria),
            [Series(results["name"], [_point(c) for c in criteria.values()])],
            domain=(1, 5),
        )
    ]
    seconds = _seconds(results)
    if seconds:
        body.append(
            chart(
                "Time per agent (model calls) and per render tool, seconds, all items",
                list(seconds),
                [Series("seconds", [Point(v) for v in seconds.values()])],
                digits=0,
            )
        )
    rows = []
    for item in results["items"]:
        metrics = item.get("metrics") or {}
        usage = metrics.get("usage") or {}
        rows.append(
            [item["id"], item.get("genre", ""), item.get("error") or item.get("stopped") or "ok"]
            + [metrics.get(key) for key, _ in METRIC_COLUMNS]
            + [usage.get("tokens"), usage.get("cost_usd"), item.get("wall_seconds")]
        )
    headers = ["item", "genre", "status"] + [label for _, label in METRIC_COLUMNS]
    body.append("<h2>Deterministic metrics per item</h2>")
    body.append(table([*headers, "tokens", "cost $", "wall s"], rows))
    body.append("<h2>Judge's reasons</h2>")
    reasons = [
        [item["id"], key, judged["score"], judged["reason"]]
        for item in results["items"]
        for key, judged in (item.get("judged") or {}).items()
    ]
    body.append(table(["item", "criterion", "score", "reason"], reasons))
    return body


def write_run_report(results: dict[str, Any], path: Path) -> Path:
    title = f"Eval: {results['name']} on suite {results['suite']}"
    path.write_text(page(title, run_section(results)), encoding="utf-8")
    return path


# a comparison -----------------------------------------------------------------
COST_LABELS = ("model seconds", "render seconds", "wall seconds", "tokens (thousands)")


def write_compare_report(comparison: dict[str, Any], path: Path) -> Path:
    a, b = comparison["a"], comparison["b"]
    criteria = comparison["criteria"]
    labels = list(criteria)
    body = [
        f"<p>A = <b>{escape(a['name'])}</b> ({escape(a['path'])}), B = <b>{escape(b['name'])}"
        f"</b> ({escape(b['path'])}); {comparison['paired_items']} items on the same premises.</p>",
        chart(
            "Judged scores, mean and 95% CI",
            labels,
            [
                Series(f"A {a['name']}", [_point(c["a"]) for c in criteria.values()]),
                Series(f"B {b['name']}", [_point(c["b"]) for c in criteria.values()]),
            ],
            domain=(1, 5),
        ),
        chart(
            "B - A per criterion, paired by premise, with 95% CI",
            labels,
            [Series("B - A", [_point(c["delta"]) for c in criteria.values()])],
            reference=0.0,
            bars=False,
        ),
    ]
    if comparison.get("pairwise"):
        pairwise = comparison["pairwise"]
        body.append(
            chart(
                f"B preferred (both orders), share with 95% CI; judge {pairwise['judge']}",
                list(pairwise["criteria"]),
                [Series("B preferred", [_point(c) for c in pairwise["criteria"].values()])],
                domain=(0, 1),
                reference=0.5,
                bars=False,
            )
        )
        body.append(
            f'<p class="small">Both orders agreed on {pairwise["consistency"]:.0%} of the '
            "criterion verdicts (position bias is cancelled by averaging the two orders).</p>"
        )
    cost = comparison["cost"]
    body.append(
        chart(
            "Cost and time (all items)",
            list(COST_LABELS),
            [
                Series(f"A {a['name']}", [Point(v) for v in cost["a"]]),
                Series(f"B {b['name']}", [Point(v) for v in cost["b"]]),
            ],
            digits=1,
        )
    )
    body.append("<h2>Metrics</h2>")
    body.append(
        table(
            ["metric", "A", "B", "B - A"],
            [[k, v["a"], v["b"], v["delta"]] for k, v in comparison["metrics"].items()],
        )
    )
    path.write_text(page(f"Compare: {a['name']} vs {b['name']}", body), encoding="utf-8")
    return path
