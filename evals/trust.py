"""Whether a run's judge has been checked: its calibration and sanity results, found beside.

`eval run` and `eval score` look for `calibration.json` and `sanity.json` of the same judge in
the default output folders (or `--judge-checks DIR ...`) and carry their figures in the results;
a judge without them is reported, in red, as unchecked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULT_FOLDERS = (Path("eval-results/calibrate"), Path("eval-results/sanity"))


def _read(folders: list[Path], name: str, judge: str) -> dict[str, Any] | None:
    for folder in folders:
        path = folder / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if data.get("judge") == judge:
                return data
    return None


def checks(judge: str | None, folders: list[Path] | None = None) -> dict[str, Any] | None:
    """The judge's calibration and sanity figures, each None where not found; None: no judge."""
    if judge is None:
        return None
    where = list(folders or DEFAULT_FOLDERS)
    calibration = _read(where, "calibration.json", judge)
    sanity = _read(where, "sanity.json", judge)
    summary: dict[str, Any] = {"calibration": None, "sanity": None}
    if calibration is not None:
        hanna = calibration.get("hanna") or {}
        taus = [
            c["tau_b"]["value"]
            for c in hanna.get("criteria", {}).values()
            if c["tau_b"]["value"] is not None
        ]
        summary["calibration"] = {
            "hanna_mean_tau_b": round(sum(taus) / len(taus), 3) if taus else None,
            "storysumm_balanced_accuracy": (calibration.get("storysumm") or {})
            .get("balanced_accuracy", {})
            .get("value"),
            "ttcw_accuracy": (calibration.get("ttcw") or {}).get("accuracy", {}).get("value"),
        }
    if sanity is not None:
        summary["sanity"] = sanity["overall"] | {"trusted": sanity.get("trusted")}
    return summary


def verdict(judge: str, summary: dict[str, Any]) -> tuple[bool, str]:
    """(trusted, one line for the console)."""
    missing = [k for k in ("calibration", "sanity") if summary[k] is None]
    if missing:
        return False, (
            f"The judge {judge} is uncalibrated: no {' and no '.join(missing)} results for it "
            f"(run `writersroom eval calibrate --judge {judge}` and `writersroom eval sanity "
            f"--judge {judge}`); read its scores with care."
        )
    sanity, calibration = summary["sanity"], summary["calibration"]
    line = (
        f"The judge {judge}: prefers the original over a broken copy in "
        f"{sanity['passed']} of {sanity['pairs']} pairs (95% interval {sanity['low']}-"
        f"{sanity['high']}); HANNA mean tau-b {calibration['hanna_mean_tau_b']}, TTCW accuracy "
        f"{calibration['ttcw_accuracy']}, StorySumm balanced accuracy "
        f"{calibration['storysumm_balanced_accuracy']}."
    )
    return bool(sanity.get("trusted")), line
