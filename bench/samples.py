"""Held-out premises through the room on the embedded default: what it writes today.

    python bench/samples.py [--full N]

Each premise runs in a fresh folder to the approved script (the room's checkpoints approved on
their own); the first N (default 1: the Chinese one) run on to `episode.mp4`. The Fountain
export of every script goes to docs/samples/, and docs/samples/checks.json gets the checks:
repeated scenes, actions or lines, speakers, the premise's roles the bible lost, characters
named by their roles, distinct-2, wall time.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from embedded_bench import commit

from writersroom.continuity import quality
from writersroom.evals.metrics import distinct_n
from writersroom.schemas import Script, SeriesBible

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "samples"
CLI = str(Path(sys.executable).parent / "writersroom")
PREMISES = {
    "night-nurse-zh": "夜班护士发现，她救下的亿万富翁病人，正是当年陷害她父亲入狱的人。",
    "lighthouse": "A lighthouse keeper's daughter finds her drowned mother's diary in the "
    "new owner's desk.",
    "ghost-chef": "A disgraced chef cooks for the food critic who ended her career, "
    "not knowing he is dying.",
    "substitute-bride": "A maid is forced to marry the blind heir in place of her master's "
    "daughter, and he is not blind.",
    "debt-collector": "A debt collector falls for the widow whose house he came to seize.",
}


def run(name: str, premise: str, full: bool, threads: int | None) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix=f"sample-{name}-"))
    toml = "" if full else '[room]\ncheckpoints = ["approve_script"]\n'  # stop at the script
    if threads:
        toml += f'[providers.local]\nkind = "local"\nthreads = {threads}\n'
    (folder / "writersroom.toml").write_text(toml)
    started = time.perf_counter()
    result = subprocess.run(
        [CLI, "new", premise, "--dir", str(folder), *(["--auto"] if full else [])],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    fountain = OUT / f"{name}.fountain"
    exported = subprocess.run(
        [CLI, "export", "1", "--fountain", "--dir", str(folder), "--out", str(fountain)],
        capture_output=True,
        text=True,
    )
    report: dict[str, object] = {
        "exit_code": result.returncode,
        "error": result.stderr.strip().splitlines()[-1:] if result.returncode else [],
        "wall_seconds": round(wall, 1),
        "exported": exported.returncode == 0,
        "video": (folder / "render" / "episode-01" / "episode.mp4").is_file(),
        "folder": str(folder),
    }
    return report | checks(folder, premise)


def checks(folder: Path, premise: str) -> dict[str, object]:
    """What the script and bible in `folder` show: repeats, speakers, the premise's roles."""
    db = sqlite3.connect(folder / "writersroom.db")
    script = db.execute(
        "select content from drafts where kind = 'script' order by revision desc limit 1"
    ).fetchone()
    bible = db.execute(
        "select content from drafts where kind = 'bible' order by revision desc limit 1"
    ).fetchone()
    found: dict[str, object] = {"premise": premise}
    if script and bible:
        parsed, cast = (
            Script.model_validate_json(script[0]),
            SeriesBible.model_validate_json(bible[0]),
        )
        found |= {
            "scenes": len(parsed.scenes),
            "lines": sum(len(s.lines) for s in parsed.scenes),
            "problems": [str(p) for p in quality.script_problems(parsed)],
            "speakers": len(parsed.speakers()),
            "premise_roles": sorted(quality.premise_roles(premise)),
            "roles_lost": quality.lost_roles(cast, premise),
            "named_by_role": quality.role_names(cast),
            "distinct_2": distinct_n(
                [line.text for scene in parsed.scenes for line in scene.lines], 2
            ),
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", type=int, default=1, help="premises run on to episode.mp4")
    parser.add_argument("--only", nargs="*", help="names of the premises to run")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: every core)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "checks.json"
    for index, (name, premise) in enumerate(PREMISES.items()):
        if args.only and name not in args.only:
            continue
        report = run(name, premise, index < args.full, args.threads) | {"commit": commit()}
        print(json.dumps({name: report}, ensure_ascii=False, indent=2), flush=True)
        known = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(known | {name: report}, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
