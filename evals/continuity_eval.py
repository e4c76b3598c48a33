"""`writersroom eval continuity`: the rule layer's precision and recall on a labeled set.

The set (evals/continuity/) holds short-drama scripts in Fountain, excerpts of DramaBench
scripts: each clean, and copies with continuity errors planted in them, labeled by type and
scene in labels.json together with the memory they are checked against (the cast and ages on
each title page; secrets and earlier episodes' facts in the labels). An issue found counts
once per (type, scene) of its script.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib.resources import files
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from writersroom.continuity.canon import Canon, CanonCharacter, Known
from writersroom.continuity.rules import Rules
from writersroom.screenplay import fountain

SET = "continuity"
TYPES = (
    "unknown_speaker", "name_drift", "dead_character", "location", "timeline", "prop",
    "knowledge", "relationship", "age",
)  # fmt: skip


def cases() -> list[dict[str, Any]]:
    return json.loads(files("writersroom.evals").joinpath(SET, "labels.json").read_text())["cases"]


def check_case(case: dict[str, Any]) -> set[tuple[str, int]]:
    """The (type, scene) of every error the rules find in the case's script."""
    text = files("writersroom.evals").joinpath(SET, "scripts", case["script"]).read_text()
    play = fountain.parse(text)
    secrets = {name.casefold(): s for name, s in case["secrets"].items()}
    cast = [CanonCharacter(n, a, secrets.get(n.casefold(), [])) for n, a in play.cast()]
    facts = [
        Known(
            **{k: f[k] for k in ("episode", "scene", "character", "kind", "subject", "text")}
            | {"value": f.get("value", "")}
        )
        for f in case["facts"]
    ]
    canon = Canon(cast, facts, case["episode"], source="the title page")
    return {(i.kind, i.scene) for i in Rules(play, canon).run() if i.severity == "error"}


def evaluate() -> dict[str, Any]:
    """Counts per type, precision and recall, and the errors found in the clean scripts."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    clean_errors = []
    all_cases = cases()
    for case in all_cases:
        found = check_case(case)
        labels = {(e["kind"], e["scene"]) for e in case["errors"]}
        for kind, _ in found & labels:
            tp[kind] += 1
        for kind, scene in found - labels:
            fp[kind] += 1
            if not labels:
                clean_errors.append({"script": case["script"], "type": kind, "scene": scene})
        for kind, _ in labels - found:
            fn[kind] += 1
    per_type = {}
    for kind in TYPES:
        flagged, planted = tp[kind] + fp[kind], tp[kind] + fn[kind]
        per_type[kind] = {
            "planted": planted,
            "found": flagged,
            "true_positives": tp[kind],
            "precision": round(tp[kind] / flagged, 3) if flagged else None,
            "recall": round(tp[kind] / planted, 3) if planted else None,
        }
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return {
        "scripts": len(all_cases),
        "clean_scripts": sum(1 for c in all_cases if not c["errors"]),
        "planted_errors": total_tp + total_fn,
        "per_type": per_type,
        "precision": round(total_tp / (total_tp + total_fp), 3) if total_tp + total_fp else None,
        "recall": round(total_tp / (total_tp + total_fn), 3) if total_tp + total_fn else None,
        "errors_on_clean_scripts": clean_errors,
    }


def pct(value: float | None) -> str:
    """A share as a whole percentage, or a dash where there is none."""
    return "—" if value is None else f"{value:.0%}"


def continuity(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """The continuity rules' precision and recall per error type on the labeled script set."""
    report = evaluate()
    if as_json:
        print(json.dumps(report, indent=2))
        return
    table = Table(
        title=f"Continuity rules on {report['scripts']} scripts "
        f"({report['clean_scripts']} clean, {report['planted_errors']} planted errors)"
    )
    for column in ("Type", "Planted", "Found", "Right", "Precision", "Recall"):
        table.add_column(column, justify="left" if column == "Type" else "right")
    for kind, row in report["per_type"].items():
        table.add_row(
            kind,
            str(row["planted"]),
            str(row["found"]),
            str(row["true_positives"]),
            pct(row["precision"]),
            pct(row["recall"]),
        )
    table.add_row("all", "", "", "", pct(report["precision"]), pct(report["recall"]))
    console = Console()
    console.print(table)
    clean = report["errors_on_clean_scripts"]
    console.print(f"Errors on the clean scripts: {len(clean)}", highlight=False)
    for error in clean:
        console.print(f"  {error['script']}: {error['type']} in scene {error['scene']}")
