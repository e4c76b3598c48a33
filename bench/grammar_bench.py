"""Structured answers on the embedded model: grammar-first sampling against checking the whole
vocabulary at every token (llama-cpp-python's own way), on the same prompt and schema.

    python bench/grammar_bench.py [--tokens N]

Greedy sampling, so both write the same answer; the figure is answer tokens per second (the
prompt is evaluated once, before either is timed). Writes bench/results/grammar-<commit>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from embedded_bench import ROOT, commit, cpu

from writersroom.providers import grammar_first
from writersroom.providers.local import (
    EMBEDDED,
    assemble,
    cache_dir,
    embedded_parts,
    import_llama_cpp,
    json_grammar,
)
from writersroom.schemas import SeriesBible

PROMPT = (
    "<|im_start|>system\nYou are the showrunner of a writers' room for vertical short dramas. "
    "Answer with one JSON object.<|im_end|>\n<|im_start|>user\nPremise: A night-shift nurse "
    "learns the billionaire patient she saved is the man who framed her father for murder.\n"
    "Write the series bible with 3 characters and a season arc of 4 episodes.<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def decode(llama: object, tokens: list[int], grammar: object, limit: int) -> tuple[int, float]:
    produced, started = 0, time.perf_counter()
    for _ in llama.generate(tokens, temp=0.0, grammar=grammar):  # type: ignore[attr-defined]
        produced += 1
        if produced == limit:
            break
    return produced, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=160)
    args = parser.parse_args()
    llama_cpp = import_llama_cpp()
    spec = EMBEDDED["qwen2.5-coder-1.5b"]
    path = assemble(embedded_parts(spec), cache_dir() / spec.file, spec.sha256, spec.size)
    threads = os.cpu_count() or 1
    report: dict[str, object] = {"commit": commit(), "cpu": cpu(), "threads": threads}
    for name, cls in (("whole_vocabulary", llama_cpp.Llama), ("grammar_first", None)):
        llama = (cls or grammar_first.llama_class(llama_cpp))(
            model_path=str(path), n_ctx=4096, n_threads=threads, verbose=False, seed=7
        )
        tokens = llama.tokenize(PROMPT.encode(), special=True)
        llama.eval(tokens)  # the prompt once, untimed: generate() reuses it
        produced, seconds = decode(
            llama, tokens, json_grammar(SeriesBible.model_json_schema()), args.tokens
        )
        report[name] = {"tokens": produced, "tokens_per_second": round(produced / seconds, 2)}
        print(name, report[name], flush=True)
        llama.close()
    out = ROOT / "bench" / "results" / f"grammar-{report['commit']}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
