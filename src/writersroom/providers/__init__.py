"""Model providers: `provider:model` names turned into LangChain chat models.

A provider kind is a module exposing `build(model, settings, project) -> AgentModel`, declared
in the entry point group `writersroom.providers` (ours in pyproject.toml; another package adds
a kind the same way). Nothing here runs at import time: a model (and its key) is looked up only
when an agent first needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, cast

from langchain_core.language_models import BaseChatModel

from writersroom.config import ProjectConfig, ProviderConfig, split_spec
from writersroom.errors import ConfigError

GROUP = "writersroom.providers"


@cache
def _declared() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=GROUP)}


def kinds() -> list[str]:
    """The provider kinds installed (a `[providers.NAME]` section's `kind`)."""
    return sorted(_declared())


def schema_kwargs(schema: dict[str, Any]) -> dict[str, Any]:
    """The call keywords of the providers written here: the JSON schema, passed as is."""
    return {"json_schema": schema}


def stop_kwargs(stop: list[str] | None, max_tokens: int | None) -> dict[str, Any]:
    """The call keywords of a prose answer on providers that take only stop strings."""
    return {"stop": stop} if stop else {}


@dataclass
class AgentModel:
    """A chat model with what the room needs to ask it for structured answers.

    Attributes:
        name: the `provider:model` name, shown in progress and stored with usage.
        chat: the LangChain chat model.
        json_kwargs: the call keywords that ask this provider for JSON of a given schema.
        calls_tools: whether the director is asked for tool calls; a model that cannot call
            tools has production make the calls the approved shot list owes.
        text_kwargs: the call keywords of a prose answer: its stop strings and token budget.
        writes_screenplay: the screenwriter writes screenplay text scene by scene (small
            models write far better prose than JSON) rather than one structured script.
        transport_errors: the exceptions that mean the endpoint failed (not the answer).
        describe_error: turns one of those into a one-line message.
    """

    name: str
    chat: BaseChatModel
    json_kwargs: Callable[[dict[str, Any]], dict[str, Any]] = schema_kwargs
    calls_tools: bool = True
    text_kwargs: Callable[[list[str] | None, int | None], dict[str, Any]] = stop_kwargs
    writes_screenplay: bool = False
    transport_errors: tuple[type[BaseException], ...] = ()
    describe_error: Callable[[BaseException], str] = field(default=str)


class Provider(Protocol):
    """What a provider kind's module implements."""

    def build(self, model: str, settings: ProviderConfig, project: Path) -> AgentModel: ...


class ModelRegistry:
    """Builds each agent's model once per run, on first use."""

    def __init__(self, config: ProjectConfig, project: Path) -> None:
        self.config = config
        self.project = project
        self._built: dict[str, AgentModel] = {}

    def name_for(self, agent: str) -> str:
        return self.config.model_for(agent)

    def for_agent(self, agent: str) -> AgentModel:
        spec = self.config.model_for(agent)
        if spec not in self._built:
            self._built[spec] = build_model(spec, self.config, self.project)
        return self._built[spec]


def build_model(spec: str, config: ProjectConfig, project: Path) -> AgentModel:
    try:
        provider_name, model = split_spec(spec)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    settings = config.provider(provider_name)
    provider = cast(Provider, _declared()[settings.kind].load())
    agent_model = provider.build(model, settings, project)
    agent_model.name = spec
    if settings.script_format != "auto":
        agent_model.writes_screenplay = settings.script_format == "fountain"
    return agent_model
