"""langgraph.json: the graph LangGraph Studio / `langgraph dev` loads, run as the server runs it
(its own checkpointer, the run's context as a JSON object, resume values as JSON)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from conftest import make_project, rows
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from writersroom.room.graph import NODES, build_graph
from writersroom.schemas import Decision

ROOT = Path(__file__).parent.parent


def load_graph() -> CompiledStateGraph:
    """Import the object langgraph.json names (a module of the installed package), as the
    LangGraph server does."""
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert config["dependencies"] == ["."]
    module, variable = config["graphs"]["room"].rsplit(":", 1)
    factory = getattr(importlib.import_module(module), variable)
    graph = factory()
    assert isinstance(graph, CompiledStateGraph)
    return graph


def test_langgraph_json_names_a_factory_of_the_room_without_a_checkpointer() -> None:
    graph = load_graph()
    assert graph.checkpointer is None  # the LangGraph server brings its own
    assert set(graph.nodes) == {"__start__", *(node.__name__ for node in NODES)}
    edges = {(e.source, e.target) for e in graph.get_graph().edges}
    assert edges == {(e.source, e.target) for e in build_graph().compile().get_graph().edges}
    assert {("develop_series", "approve_bible"), ("approve_bible", "develop_series")} <= edges
    context = graph.get_context_jsonschema()
    assert context is not None and set(context["properties"]) == {"project_dir", "auto"}
    assert graph.get_input_jsonschema()["required"] == ["premise", "episode"]


def test_a_studio_run_stops_at_typed_checkpoints_and_takes_json_answers(tmp_path: Path) -> None:
    project = make_project(tmp_path / "studio")
    graph = load_graph().copy(update={"checkpointer": InMemorySaver()})
    thread = {"configurable": {"thread_id": "studio-thread"}}
    context = {"project_dir": str(project)}  # what the server passes: a JSON object

    out = graph.invoke({"premise": "Twins swapped at birth", "episode": 1}, thread, context=context)
    (waiting,) = out["__interrupt__"]
    assert waiting.value["checkpoint"] == "approve_bible" and waiting.value["revision"] == 1
    assert waiting.value["draft"]["title"] == "Twice Born"
    assert waiting.response_schema == Decision.model_json_schema()

    out = graph.invoke(
        Command(resume={"action": "revise", "notes": "make the twin the villain"}),
        thread,
        context=context,
    )
    assert out["__interrupt__"][0].value["revision"] == 2
    assert out["bible"]["characters"][1]["role"] == "villain"
    for checkpoint in ("approve_outline", "approve_script", "approve_shots"):
        out = graph.invoke(Command(resume={"action": "approve"}), thread, context=context)
        assert out["__interrupt__"][0].value["checkpoint"] == checkpoint
    out = graph.invoke(Command(resume={"action": "approve"}), thread, context=context)
    assert "__interrupt__" not in out

    assert rows(project, "select checkpoint, revision, action from decisions order by id") == [
        ("approve_bible", 1, "revise"),
        ("approve_bible", 2, "approve"),
        ("approve_outline", 1, "approve"),
        ("approve_script", 1, "approve"),
        ("approve_shots", 1, "approve"),
    ]
    assert rows(project, "select status from episodes") == [("remembered",)]  # production off
    assert rows(project, "select count(*) > 0 from usage where agent = 'director'") == [(1,)]


def test_auto_in_the_context_runs_through_without_stopping(tmp_path: Path) -> None:
    project = make_project(tmp_path / "auto")
    graph = load_graph().copy(update={"checkpointer": InMemorySaver()})
    out = graph.invoke(
        {"premise": "Twins swapped at birth", "episode": 1},
        {"configurable": {"thread_id": "t"}},
        context={"project_dir": str(project), "auto": True},
    )
    assert "__interrupt__" not in out and out["shots"]["shots"]
    assert {r[0] for r in rows(project, "select by from decisions")} == {"auto"}
