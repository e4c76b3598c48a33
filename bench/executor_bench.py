"""The render executor: a 12-shot episode's videos on a provider whose jobs take 2 s each
(`tests/fake_video_provider.py`, loopback), one job at a time against four at once.

    python bench/executor_bench.py        # writes bench/results/executor-<commit>.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_video_provider import SHOTS, render_shots, serve  # noqa: E402


def wall(concurrency: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="wr-executor-") as folder:
        provider = serve(Path(folder), seconds)
        try:
            started = time.perf_counter()
            render_shots(folder, provider.base_url, concurrency)
            return {
                "concurrency": concurrency,
                "wall_seconds": round(time.perf_counter() - started, 2),
                "most_in_flight": provider.most_in_flight(),
            }
        finally:
            provider.shutdown()
            provider.server_close()


def main() -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    job_seconds = 2.0
    runs = [wall(1, job_seconds), wall(4, job_seconds)]
    result = {
        "commit": commit,
        "shots": SHOTS,
        "job_seconds": job_seconds,
        "runs": runs,
        "speedup": round(runs[0]["wall_seconds"] / runs[1]["wall_seconds"], 2),
    }
    out = ROOT / "bench" / "results" / f"executor-{commit}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
