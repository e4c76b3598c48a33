"""The main job on the embedded default: premise -> episode.mp4, against raw llama.cpp.

    python bench/embedded_bench.py [--premise TEXT] [--raw-only]

1. Raw llama.cpp on this machine: prefill and decode tokens/s of the embedded model on a fixed
   prompt (no grammar, no cache), with the room's thread count.
2. The room: `writersroom run PREMISE --auto` in a fresh folder, timed; per agent and task the
   answers, re-asks, tokens and seconds (from the usage table), model load, production and
   render time.
3. The room's effective speed: the time raw llama.cpp would need for the room's tokens (prompt
   tokens at the prefill rate, answer tokens at the decode rate) over the room's model time.
   Above 1 means the room saves work (KV reuse); below means overhead (grammar, re-reads).

Writes bench/results/embedded-<commit>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREMISE = (
    "A night-shift nurse learns the billionaire patient she saved is the man who framed her "
    "father for murder."
)
RAW_PROMPT = (
    "You are the screenwriter of a vertical short drama. Write the opening scene of an episode in "
    "which a night-shift nurse saves a billionaire patient and finds, in his jacket, the police "
    "file that sent her father to prison. Begin with the scene heading, then the action, then the "
    "dialogue as NAME: words. " * 6
)
DECODE_TOKENS = 256


def commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def raw_llama() -> dict[str, float]:
    """Prefill and decode speed of the bare model, as the room loads it."""
    from writersroom.providers.local import (
        EMBEDDED,
        assemble,
        cache_dir,
        embedded_parts,
        import_llama_cpp,
    )

    Llama = import_llama_cpp().Llama  # as the room loads it

    spec = EMBEDDED["qwen2.5-coder-1.5b"]
    path = assemble(embedded_parts(spec), cache_dir() / spec.file, spec.sha256, spec.size)
    threads = os.cpu_count() or 1
    started = time.perf_counter()
    llama = Llama(
        model_path=str(path),
        n_ctx=8192,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
        seed=7,
    )
    load = time.perf_counter() - started
    tokens = llama.tokenize(RAW_PROMPT.encode())
    started = time.perf_counter()
    llama.eval(tokens)
    prefill = time.perf_counter() - started
    produced = 0
    started = time.perf_counter()
    for _ in llama.generate([], temp=0.0, reset=False):
        produced += 1
        if produced == DECODE_TOKENS:
            break
    decode = time.perf_counter() - started
    llama.close()
    return {
        "threads": threads,
        "load_seconds": round(load, 2),
        "prefill_tokens": len(tokens),
        "prefill_tokens_per_second": round(len(tokens) / prefill, 1),
        "decode_tokens": produced,
        "decode_tokens_per_second": round(produced / decode, 2),
    }


def room(premise: str, raw: dict[str, float]) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="embedded-bench-"))
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "writersroom"),
            "run",
            premise,
            "--auto",
            "--dir",
            str(folder),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    db = sqlite3.connect(folder / "writersroom.db")
    db.row_factory = sqlite3.Row
    tasks = [
        dict(row)
        for row in db.execute(
            "select agent, task, count(*) as answers, sum(problem != '') as reasks,"
            " sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,"
            " round(sum(seconds), 1) as seconds from usage group by agent, task order by min(id)"
        )
    ]
    renders = db.execute("select coalesce(sum(seconds), 0) from ledger").fetchone()[0]
    video = folder / "render" / "episode-01" / "episode.mp4"
    loaded = re.search(r"loaded \S+ in ([\d.]+) s", result.stderr)
    model_seconds = sum(t["seconds"] for t in tasks)
    tokens_in = sum(t["input_tokens"] for t in tasks)
    tokens_out = sum(t["output_tokens"] for t in tasks)
    raw_seconds = (
        tokens_in / raw["prefill_tokens_per_second"] + tokens_out / raw["decode_tokens_per_second"]
    )
    asked = sum(t["answers"] - t["reasks"] for t in tasks)
    return {
        "premise": premise,
        "exit_code": result.returncode,
        "error": result.stderr.strip().splitlines()[-1:] if result.returncode else [],
        "folder": str(folder),
        "episode_mp4": video.is_file(),
        "wall_seconds": round(wall, 1),
        "model_load_seconds": float(loaded.group(1)) if loaded else None,
        "model_seconds": round(model_seconds, 1),
        "render_tool_seconds": round(renders, 1),
        "per_task": tasks,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "raw_equivalent_seconds": round(raw_seconds, 1),
        "effective_over_raw": round(raw_seconds / model_seconds, 2) if model_seconds else None,
        "reasks_per_task": round(sum(t["reasks"] for t in tasks) / asked, 2) if asked else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--premise", default=PREMISE)
    parser.add_argument("--raw-only", action="store_true")
    args = parser.parse_args()
    raw = raw_llama()
    print(json.dumps(raw, indent=2))
    report: dict[str, object] = {
        "commit": commit(),
        "cpu": cpu(),
        "cores": os.cpu_count(),
        "raw_llama_cpp": raw,
    }
    if not args.raw_only:
        report["room"] = room(args.premise, raw)
        print(json.dumps(report["room"], indent=2))
    out = ROOT / "bench" / "results" / f"embedded-{report['commit']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
