"""The room: what every node of the graph works with during one run (LangGraph's context)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import uuid4

from pydantic import BaseModel

from writersroom.config import ProjectConfig
from writersroom.memory import Memory
from writersroom.providers import ModelRegistry
from writersroom.room import answers
from writersroom.room.prompting import render
from writersroom.tools.board import JobBoard

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")  # what a prose answer is read into


def _silent(_: str, __: str, ___: answers.Usage | None) -> None:
    return None


@dataclass
class Room:
    """Configuration, memory, each agent's model and a progress reporter for one run.

    Attributes:
        stops: the checkpoints that wait for a person; the others approve on their own.
        announce: told the name of each step as it starts (the run lock names it).
        report: called as (agent, task, None) when a step starts and with its usage when done.
        callbacks: LangChain callback handlers given every model call (live progress).
        invocation: this run of the graph (a resume is another): what counts "in a row".
        board: the render jobs in flight (shown live, like `callbacks`).
    """

    config: ProjectConfig
    memory: Memory
    models: ModelRegistry
    episode: int
    stops: frozenset[str]
    announce: Callable[[str], None] = field(default=lambda _: None)
    report: Callable[[str, str, answers.Usage | None], None] = field(default=_silent)
    callbacks: list[Any] = field(default_factory=list)  # LangChain's, e.g. live progress
    invocation: str = field(default_factory=lambda: uuid4().hex)
    board: JobBoard = field(default_factory=JobBoard)

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
        json_schema = json_schema or schema.model_json_schema()
        return answers.ask(
            self.models.for_agent(agent),
            schema,
            render(task, json_schema, **values),
            agent=agent,
            task=task,
            attempts=self.config.room.answer_attempts,
            on_usage=self.record,
            check=check,
            json_schema=json_schema,
            callbacks=self.callbacks,
        )

    def write(
        self,
        agent: str,
        task: str,
        read: Callable[[str], R],
        *,
        what: str,
        stop: list[str] | None = None,
        max_tokens: int | None = None,
        **values: str,
    ) -> R:
        """Ask `agent` for prose with the prompt `task`, read into `T` by `read` (which raises
        ValueError with what to fix); re-asked like a structured answer."""
        self.report(agent, task, None)
        return answers.ask_text(
            self.models.for_agent(agent),
            render(task, None, **values),
            read,
            agent=agent,
            task=task,
            attempts=self.config.room.answer_attempts,
            on_usage=self.record,
            what=what,
            stop=stop,
            max_tokens=max_tokens,
            callbacks=self.callbacks,
        )

    def record(self, usage: answers.Usage) -> None:
        """One answer's usage, into memory and to the progress reporter."""
        self.memory.record_usage(
            self.episode,
            usage.agent,
            usage.model,
            usage.task,
            usage.input_tokens,
            usage.output_tokens,
            usage.seconds,
            usage.problem,
            usage.refused,
        )
        self.report(usage.agent, usage.task, usage)
