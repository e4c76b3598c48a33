"""The room's own overhead per episode (the embedded model's time: bench/embedded_bench.py).

    python bench/room_bench.py [--episodes N]

Episodes run with --auto on the scripted model (answers replayed instantly); the wall time
outside model calls, per graph step (checkpointing, validation, prompt rendering, database
writes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from writersroom.room.project import Project

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "answers.json"
MEDIA_NODES = {"produce", "cut_episode"}
PREMISE = "A cleaner discovers she is the heiress her twin sister has been impersonating"


def scripted_overhead(episodes: int) -> dict[str, float]:
    """Seconds per graph step outside model calls, from the stream of node updates.

    The production nodes render media (measured by bench/render_bench.py), so they are left out.
    """
    wall = model = 0.0
    steps = 0
    for _ in range(episodes):
        folder = Path(tempfile.mkdtemp(prefix="bench-"))
        shutil.copy(DATA, folder / "answers.json")
        (folder / "writersroom.toml").write_text('[models]\ndefault = "scripted:answers.json"\n')
        project = Project.create(folder, PREMISE)
        project.memory.upsert_episode(1, status="in progress", auto=1)
        config = {"configurable": {"thread_id": "episode-1"}}
        room = project._room(1)
        last = time.perf_counter()
        for update in project.graph.stream(
            {"premise": PREMISE, "episode": 1},
            config,
            context=room,
            stream_mode="updates",
            durability="sync",
        ):
            now = time.perf_counter()
            if not set(update) & MEDIA_NODES:
                wall += now - last
                steps += 1
            last = now
        model += next(
            project.db.query("select sum(seconds) as s from usage where task != 'produce'")
        )["s"]
        project.close()
        shutil.rmtree(folder)
    return {
        "episodes": episodes,
        "graph_steps": steps,
        "wall_seconds": round(wall, 3),
        "model_seconds": round(model, 3),
        "overhead_ms_per_step": round(1000 * (wall - model) / steps, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(scripted_overhead(args.episodes), indent=1))


if __name__ == "__main__":
    main()
