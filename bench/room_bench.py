"""Benchmarks of one episode: the room's own overhead, and the embedded model per agent.

    python bench/room_bench.py [--episodes N] [--skip-embedded]

1. Orchestration overhead: episodes run with --auto on the scripted model (answers replayed
   instantly); the wall time outside model calls, per graph step (checkpointing, validation,
   prompt rendering, database writes).
2. The embedded model: one episode on `local:qwen2.5-coder-1.5b`; tokens and seconds per agent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from writersroom.project import Project

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


def embedded_episode() -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="bench-local-"))
    project = Project.create(folder, PREMISE)
    started = time.perf_counter()
    project.start(auto=True)
    total = time.perf_counter() - started
    rows = project.memory.usage_by_agent()
    for row in rows:
        row["output_tokens_per_second"] = round(row["output_tokens"] / row["seconds"], 1)
    rows.append({"agent": "(episode wall time)", "seconds": round(total, 1)})
    project.close()
    shutil.rmtree(folder)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args()
    results: dict = {"scripted_overhead": scripted_overhead(args.episodes)}
    print(json.dumps(results["scripted_overhead"], indent=1))
    if not args.skip_embedded:
        results["embedded_per_agent"] = embedded_episode()
        for row in results["embedded_per_agent"]:
            print(json.dumps(row))


if __name__ == "__main__":
    main()
