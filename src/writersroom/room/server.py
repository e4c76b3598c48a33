"""The room in LangGraph Studio and `langgraph dev` (`langgraph.json` at the repository root).

The LangGraph server brings its own checkpointer, so `make_graph` compiles the graph without
one. The server hands each run its context as a JSON object, which LangGraph coerces to the
graph's context schema, `StudioContext` (Studio shows it as a form): the project folder to
work in. Every node is then given a `Room` opened on that folder for its step. Checkpoints
interrupt with a `Checkpoint` payload and `Decision` as the response schema, so Studio offers a
typed answer: `{"action": "approve"}`, `{"action": "revise", "notes": "..."}` or
`{"action": "edit", "draft": {...}}`.

Studio keeps its own threads; give it a project folder of its own rather than one the CLI runs.
Each step holds the project's run lock (see `writersroom.room.runlock`): while the command line or
the review page runs the room in that folder, a step fails at once with a "busy:" message.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from writersroom.config import CONFIG_FILE, DATABASE_FILE, load_config
from writersroom.errors import InputError
from writersroom.memory import Memory, open_database
from writersroom.providers import ModelRegistry
from writersroom.room.context import Room
from writersroom.room.graph import build_graph
from writersroom.room.runlock import RunLock
from writersroom.room.state import RoomState

PROJECT_ENV = "WRITERSROOM_PROJECT"


class StudioContext(BaseModel):
    """What a Studio run says about where the room works."""

    project_dir: str = Field(
        default_factory=lambda: os.environ.get(PROJECT_ENV, "."),
        description="The project folder (writersroom.toml); default $WRITERSROOM_PROJECT or "
        "the server's working folder.",
    )
    auto: bool = Field(default=False, description="Approve every checkpoint without stopping.")


@contextmanager
def open_room(context: StudioContext, state: RoomState, node: str = "") -> Iterator[Room]:
    """A room on the context's project folder for one step (`node`) of `state`'s episode,
    holding the project's run lock for it."""
    path = Path(context.project_dir).expanduser().resolve()
    if not (path / CONFIG_FILE).exists():
        raise InputError(
            f"{path} is not a writersroom project: run `writersroom new` there, or give "
            "project_dir in the run's context"
        )
    config = load_config(path)
    lock = RunLock(path, who="the LangGraph server")
    lock.acquire()
    lock.running(node or "a step")
    try:
        db = open_database(path / DATABASE_FILE)
    except BaseException:
        lock.release()
        raise
    try:
        memory = Memory(db)
        if memory.series() is None:
            memory.start_series(state["premise"])
        stops = frozenset() if context.auto else frozenset(config.room.checkpoints)
        yield Room(config, memory, ModelRegistry(config, path), state["episode"], stops)
    finally:
        db.conn.close()
        lock.release()


def in_room(node: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a node of the room so that it runs with a `Room` built from the Studio context."""

    @functools.wraps(node)
    def run(state: RoomState, runtime: Runtime[Any]) -> Any:
        context = runtime.context
        if not isinstance(context, StudioContext):  # no context given with the run
            context = StudioContext.model_validate(context or {})
        with open_room(context, state, node.__name__) as room:
            return node(state, runtime.override(context=room))

    return run


def make_graph() -> CompiledStateGraph:
    """The graph for the LangGraph server: compiled without a checkpointer (it brings one)."""
    return build_graph(StudioContext, in_room).compile()
