"""A project's configuration: `writersroom.toml` in the project folder."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from writersroom.errors import ConfigError

CONFIG_FILE = "writersroom.toml"
DATABASE_FILE = "writersroom.db"
AGENTS = ("showrunner", "screenwriter", "director", "continuity", "editor")
CHECKPOINTS = ("approve_bible", "approve_outline", "approve_script", "approve_shots")
DEFAULT_MODEL = "local:qwen2.5-coder-1.5b"

DEFAULT_TOML = f"""\
# writersroom project configuration.
# Models are named provider:model. Providers: local (embedded llama.cpp), openai (any
# OpenAI-compatible endpoint), dashscope (Qwen), scripted (replays recorded answers), or a
# section of your own under [providers.NAME] with kind = "openai" and its base_url.

[models]
default = "{DEFAULT_MODEL}"
# showrunner = "openai:gpt-4.1"
# continuity = "dashscope:qwen-plus"

[room]
# Checkpoints that stop for a person; `--auto` approves them all.
checkpoints = {list(CHECKPOINTS)!r}
review_rounds = 2
answer_attempts = 3

[memory]
# What each agent is told of the series so far (the cast in the episode, their latest state,
# open threads, the last cliffhanger), at most this many tokens, counted as characters / 4.
prompt_tokens = 600

[production]
# Backends of the director's tools: the embedded ones need no key and no network.
video = "storyboard"
voice = "embedded"
lip_sync = "embedded"
language = "auto"          # the dialogue's language (en, zh, ...); auto: from the script
# [production.prices.video] # per second of output, for the paid backends
# dashscope = 0.24
# [production.prices.image] # per picture: a view of a character's reference sheet
# kling = 0.03
# [production.options.NAME] # a backend's own settings

# [executor]                # where renders run: "local" (threads, and worker processes for
# kind = "ray"              # the embedded renderers) or "ray" (`pip install 'writersroom[ray]'`)
# address = ""              # a Ray cluster's address; empty starts a Ray runtime for the render

[providers.openai]
kind = "openai"
# base_url = "http://127.0.0.1:8080/v1"
api_key_env = "OPENAI_API_KEY"

[providers.dashscope]
kind = "dashscope"
api_key_env = "DASHSCOPE_API_KEY"
""".replace("'", '"')


class ProviderConfig(BaseModel, extra="forbid"):
    """One provider section. `kind` says which code speaks to it."""

    kind: str  # a provider kind installed (see writersroom.providers)
    base_url: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None
    timeout_seconds: float = Field(default=120, gt=0)
    max_retries: int = Field(default=2, ge=0)
    # openai kind: "json_schema" (OpenAI, vLLM) or "json_object" with the schema inline
    # (llama.cpp's server, which turns it into a grammar).
    json_mode: Literal["json_schema", "json_object"] = "json_schema"
    file: str | None = None  # scripted kind: the recorded answers
    context_tokens: int = Field(default=8192, ge=512)  # local kind
    max_tokens: int = Field(default=4096, ge=16)
    threads: int | None = Field(default=None, ge=1)  # local kind; default: every core
    # how the screenwriter writes: "fountain" (screenplay text scene by scene, parsed), "json"
    # (one structured script); auto: fountain on the local kind, json elsewhere
    script_format: Literal["auto", "fountain", "json"] = "auto"


class RoomConfig(BaseModel, extra="forbid"):
    checkpoints: list[str] = Field(default_factory=lambda: list(CHECKPOINTS))
    review_rounds: int = Field(default=2, ge=0, le=10)
    answer_attempts: int = Field(default=3, ge=1, le=10)

    @field_validator("checkpoints")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CHECKPOINTS))
        if unknown:
            raise ValueError(f"unknown checkpoints {unknown}; choose from {list(CHECKPOINTS)}")
        return value


class MemoryConfig(BaseModel, extra="forbid"):
    """Series memory in the prompts. Tokens are approximated as characters / 4."""

    prompt_tokens: int = Field(default=600, ge=0, le=100_000)


BUILTIN_PROVIDERS = {
    "openai": ProviderConfig(kind="openai", api_key_env="OPENAI_API_KEY"),
    "dashscope": ProviderConfig(kind="dashscope", api_key_env="DASHSCOPE_API_KEY"),
    "local": ProviderConfig(kind="local"),
    "scripted": ProviderConfig(kind="scripted"),
}


class ProductionConfig(BaseModel, extra="forbid"):
    """`[production]`: which backend each tool uses, their options and prices."""

    # off: an episode ends with its approved script and shots in memory; `render` makes it
    enabled: bool = True
    video: str = "storyboard"
    voice: str = "embedded"
    lip_sync: str = "embedded"
    assemble: str = "ffmpeg"
    image: str = "storyboard"  # draws each character's reference sheet
    language: str = Field(default="auto", pattern=r"^[A-Za-z-]{2,12}$")
    title_seconds: float = Field(default=1.5, gt=0, le=10)
    # the director is given this many shots at a time, so a long episode's calls fit one answer
    shots_per_answer: int = Field(default=4, ge=1, le=50)
    # kind -> backend name -> price per second of output (paid backends; embedded ones are 0);
    # for `image`, a price per picture (a view of a sheet: pictures have no seconds)
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    # backend name -> the keyword options its class is built with
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # backend name -> how many of its calls run at once (default: the backend's own, e.g. 4
    # provider tasks for the DashScope ones, 1 for the embedded renderers)
    concurrency: dict[str, Annotated[int, Field(ge=1, le=64)]] = Field(default_factory=dict)
    # the most one render of an episode may cost (as estimated before it starts); none: no limit
    budget: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _known_backends(self) -> ProductionConfig:
        from writersroom.tools import registry

        for kind in registry.KINDS:
            name = getattr(self, kind)
            if name not in registry.names(kind):
                known = ", ".join(registry.names(kind))
                raise ValueError(f"{kind}: unknown backend {name!r}; choose one of {known}")
        unknown = sorted(set(self.prices) - set(registry.KINDS))
        if unknown:
            raise ValueError(f"prices: unknown tools {unknown}; use {list(registry.KINDS)}")
        return self


class ExecutorConfig(BaseModel, extra="forbid"):
    """`[executor]`: where renders run (see tools/executor.py)."""

    kind: Literal["local", "ray"] = "local"
    # ray: the cluster's address ("auto": the one running on this machine); empty: a Ray
    # runtime started for the render
    address: str = ""
    # renders of a computing backend at once: local, in that many worker processes (default 1,
    # in this process: measured faster on 2 cores, see bench/results/render-workers-*.json);
    # ray, as that many tasks (default this machine's CPUs)
    workers: int | None = Field(default=None, ge=1, le=1024)
    # ray: backend name -> the resources each of its tasks asks for, e.g. {num_gpus = 1}
    resources: dict[str, dict[str, float]] = Field(default_factory=dict)


class ProjectConfig(BaseModel, extra="forbid"):
    models: dict[str, str] = Field(default_factory=lambda: {"default": DEFAULT_MODEL})
    room: RoomConfig = Field(default_factory=RoomConfig)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    production: ProductionConfig = Field(default_factory=ProductionConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)

    @field_validator("providers")
    @classmethod
    def _installed_kinds(cls, value: dict[str, ProviderConfig]) -> dict[str, ProviderConfig]:
        from writersroom.providers import kinds  # which imports this module

        for name, settings in value.items():
            if settings.kind not in kinds():
                raise ValueError(
                    f"{name}.kind: unknown kind {settings.kind!r}; choose one of "
                    + ", ".join(kinds())
                )
        return value

    @field_validator("models")
    @classmethod
    def _model_names(cls, value: dict[str, str]) -> dict[str, str]:
        for role, spec in value.items():
            if role != "default" and role not in AGENTS:
                raise ValueError(f"unknown agent {role!r}; agents are {', '.join(AGENTS)}")
            split_spec(spec)
        return value

    def model_for(self, agent: str) -> str:
        return self.models.get(agent) or self.models.get("default") or DEFAULT_MODEL

    def provider(self, name: str) -> ProviderConfig:
        if name in self.providers:
            return self.providers[name]
        if name in BUILTIN_PROVIDERS:
            return BUILTIN_PROVIDERS[name]
        known = sorted(set(BUILTIN_PROVIDERS) | set(self.providers))
        raise ConfigError(f"unknown provider {name!r}; configured providers: {', '.join(known)}")

    def with_models(self, overrides: dict[str, str]) -> ProjectConfig:
        """This configuration with some agents' models replaced."""
        try:
            models = ProjectConfig(models={**self.models, **overrides}).models
        except ValidationError as exc:
            raise ConfigError(f"--model: {_first_error(exc)}") from None
        return self.model_copy(update={"models": models})


def check_models(config: ProjectConfig) -> None:
    """Every agent's model names a known provider (ConfigError otherwise), before anything is
    written."""
    for agent in AGENTS:
        try:
            provider, _ = split_spec(config.model_for(agent))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        config.provider(provider)


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`AGENT=provider:model` items given on the command line, as a mapping."""
    overrides = {}
    for item in items:
        agent, sep, spec = item.partition("=")
        if not sep:
            raise ConfigError(f"--model {item!r}: write it as AGENT=provider:model")
        overrides[agent.strip()] = spec.strip()
    return overrides


def split_spec(spec: str) -> tuple[str, str]:
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model:
        raise ValueError(f"model {spec!r} must be named provider:model, e.g. openai:gpt-4.1")
    return provider, model


def load_config(project: Path) -> ProjectConfig:
    path = project / CONFIG_FILE
    if not path.exists():
        return ProjectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return ProjectConfig.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
