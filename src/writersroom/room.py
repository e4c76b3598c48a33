"""The room: what every node of the graph works with during one run (LangGraph's context)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from writersroom import answers
from writersroom.config import ProjectConfig
from writersroom.memory import Memory
from writersroom.prompting import render
from writersroom.providers import ModelRegistry

T = TypeVar("T", bound=BaseModel)


def _silent(_: str, __: str, ___: answers.Usage | None) -> None:
    return None


@dataclass
class Room:
    """Configuration, memory, each agent's model and a progress reporter for one run.

    Attributes:
        stops: the checkpoints that wait for a person; the others approve on their own.
        report: called as (agent, task, None) when a step starts and with its usage when done.
    """

    config: ProjectConfig
    memory: Memory
    models: ModelRegistry
    episode: int
    stops: frozenset[str]
    report: Callable[[str, str, answers.Usage | None], None] = field(default=_silent)

    def ask(
        self,
        agent: str,
        task: str,
        schema: type[T],
        check: Callable[[T], None] | None = None,
        json_schema: dict[str, Any] | None = None,
        **values: str,
    ) -> T:
        """Ask `agent` to do `task` with the prompt of the same name; record its usage.

        `json_schema` narrows the schema the model writes to (see `answers.with_choices`).
        """
        self.report(agent, task, None)
        model = self.models.for_agent(agent)

        def on_usage(usage: answers.Usage) -> None:
            self.memory.record_usage(
                self.episode,
                usage.agent,
                usage.model,
                usage.task,
                usage.input_tokens,
                usage.output_tokens,
                usage.seconds,
            )
            self.report(agent, task, usage)

        json_schema = json_schema or schema.model_json_schema()
        return answers.ask(
            model,
            schema,
            render(task, json_schema, **values),
            agent=agent,
            task=task,
            attempts=self.config.room.answer_attempts,
            on_usage=on_usage,
            check=check,
            json_schema=json_schema,
        )
