"""Rendering on the embedded stack: wall time per second of finished video, and an incremental
re-render (one changed line) against a full one.

    python bench/render_bench.py [--repeat N] [--workers N]

The recorded episode (tests/data/answers.json) is produced with every call a director should
make for it; `--repeat N` plays its shot list N times over for a longer episode. Three runs on
one project: the full render (empty cache), the same episode again (all from the cache), and
after changing the last dialogue line (one voice, its lip-sync and the cut are made again).
`--workers N` renders in N worker processes (default 1: in this process).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from writersroom.config import ExecutorConfig, ProjectConfig
from writersroom.memory import Memory, open_database
from writersroom.room import production
from writersroom.schemas import Script, SeriesBible, ShotList

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "answers.json"


def director_calls(shots: ShotList, script: Script) -> list[dict[str, Any]]:
    """Every call the approved shot list needs, as a director that makes no mistakes would."""
    scenes = {s.number: s for s in script.scenes}
    calls: list[dict[str, Any]] = []
    for shot in shots.shots:
        calls.append(
            {
                "name": "generate_video",
                "args": shot.model_dump(mode="json", exclude={"number", "scene", "lines"})
                | {"shot": shot.number},
            }
        )
        for line in shot.lines:
            speaker = scenes[shot.scene].lines[line - 1].speaker
            args = {"shot": shot.number, "line": line, "speaker": speaker}
            calls.append({"name": "synthesize_voice", "args": args})
            if speaker in shot.characters:
                files = {
                    "video": f"shot-{shot.number:02d}/video.mp4",
                    "audio": f"shot-{shot.number:02d}/line-{line}.wav",
                }
                calls.append({"name": "lip_sync", "args": args | files})
    return [call | {"id": f"bench-{i}"} for i, call in enumerate(calls, 1)]


def render_once(
    config: ProjectConfig,
    memory: Memory,
    folder: Path,
    drafts: tuple[SeriesBible, Script, ShotList],
) -> tuple[float, float, int]:
    """Seconds taken, seconds of video made, and the calls that reached a backend."""
    started = time.perf_counter()
    studio = production.open_studio(config, memory, folder, 1, drafts)
    studio.execute(director_calls(drafts[2], drafts[1]))
    made = production.summary(studio)
    cut = production.cut(config, memory, folder, 1, made, (drafts[0].title, drafts[1].title, 90))
    seconds = time.perf_counter() - started
    backend_calls = memory.db.execute(
        "select count(*) from ledger where run = ? and cached = 0", [made["run"]]
    ).fetchone()[0]
    return seconds, cut["runtime_seconds"], backend_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="play the shot list N times")
    parser.add_argument("--workers", type=int, default=None, help="[executor] workers")
    args = parser.parse_args()
    config = ProjectConfig(executor=ExecutorConfig(workers=args.workers))
    recorded = json.loads(DATA.read_text(encoding="utf-8"))
    bible = SeriesBible.model_validate(recorded["develop_series"][0])
    script = Script.model_validate(recorded["write_script"][0])
    once = ShotList.model_validate(recorded["plan_shots"][0]).shots
    shots = ShotList(
        shots=[
            shot.model_copy(update={"number": len(once) * r + shot.number})
            for r in range(args.repeat)
            for shot in once
        ]
    )
    folder = Path(tempfile.mkdtemp(prefix="render-bench-"))
    memory = Memory(open_database(folder / "writersroom.db"))
    memory.start_series("bench")
    memory.save_bible(bible.model_dump(mode="json"))

    full, video, full_calls = render_once(config, memory, folder, (bible, script, shots))
    again, _, again_calls = render_once(config, memory, folder, (bible, script, shots))
    changed = script.model_copy(deep=True)
    changed.scenes[-1].lines[-1].text = "It has my mother's name on it."
    incremental, _, incremental_calls = render_once(config, memory, folder, (bible, changed, shots))
    results = {
        "workers": args.workers or 1,
        "video_seconds": video,
        "full_render_seconds": round(full, 2),
        "seconds_per_video_second": round(full / video, 3),
        "full_backend_calls": full_calls,
        "unchanged_rerender_seconds": round(again, 2),
        "unchanged_backend_calls": again_calls,
        "one_line_changed_seconds": round(incremental, 2),
        "one_line_changed_backend_calls": incremental_calls,
        "incremental_vs_full": round(incremental / full, 3),
    }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
