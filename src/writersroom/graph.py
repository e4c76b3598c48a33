"""The room as a LangGraph state machine: the nodes first, the wiring at the bottom.

A drafting node asks its agent, stores the draft as a new revision and routes to its checkpoint.
A checkpoint node waits for a person with `interrupt()` (or approves on its own when it is not
one of the run's stops), records the decision, and routes: approve -> on, revise -> back to the
drafting node with the notes, edit -> on with the person's draft. Every write is an upsert keyed
by revision, so a node that re-runs after a crash writes the same rows again, not new ones.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from writersroom.agents import continuity, director, editor, screenwriter, showrunner
from writersroom.drafts import CHECKPOINT_KINDS, validate_draft
from writersroom.room import Room
from writersroom.schemas import (
    ContinuityReport,
    Decision,
    EpisodeOutline,
    Script,
    SeriesBible,
)
from writersroom.state import Checkpoint, RoomInput, RoomState

BIBLE_EPISODE = 0  # the bible's drafts belong to the series, stored under episode 0


def _next_revision(state: RoomState, kind: str) -> tuple[int, dict[str, int]]:
    revisions = dict(state.get("revisions", {}))
    revisions[kind] = revisions.get(kind, 0) + 1
    return revisions[kind], revisions


def _save(
    room: Room, state: RoomState, kind: str, content: dict[str, Any], agent: str
) -> dict[str, int]:
    revision, revisions = _next_revision(state, kind)
    episode = BIBLE_EPISODE if kind == "bible" else state["episode"]
    model = room.models.name_for(agent) if agent != "person" else "person"
    room.memory.save_draft(episode, kind, revision, content, agent, model)
    return revisions


def _previous(state: RoomState, key: str, schema: type) -> Any:
    return schema.model_validate(state[key]) if key in state else None


# drafting nodes -------------------------------------------------------------
def develop_series(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["approve_bible"]]:
    room = runtime.context
    bible = showrunner.develop_series(
        room, state["premise"], state.get("notes", ""), _previous(state, "bible", SeriesBible)
    )
    content = bible.model_dump(mode="json")
    revisions = _save(room, state, "bible", content, showrunner.AGENT)
    return Command(
        goto="approve_bible", update={"bible": content, "notes": "", "revisions": revisions}
    )


def outline_episode(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["approve_outline"]]:
    room = runtime.context
    outline = showrunner.outline_episode(
        room,
        SeriesBible.model_validate(state["bible"]),
        state["episode"],
        room.memory.summaries(before=state["episode"]),
        state.get("notes", ""),
        _previous(state, "outline", EpisodeOutline),
    )
    content = outline.model_dump(mode="json")
    revisions = _save(room, state, "outline", content, showrunner.AGENT)
    return Command(
        goto="approve_outline", update={"outline": content, "notes": "", "revisions": revisions}
    )


def write_script(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["check_continuity"]]:
    room = runtime.context
    script = screenwriter.write_script(
        room,
        SeriesBible.model_validate(state["bible"]),
        EpisodeOutline.model_validate(state["outline"]),
        state.get("notes", ""),
        _previous(state, "script", Script),
    )
    content = script.model_dump(mode="json")
    revisions = _save(room, state, "script", content, screenwriter.AGENT)
    return Command(
        goto="check_continuity", update={"script": content, "notes": "", "revisions": revisions}
    )


def check_continuity(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["review_script"]]:
    room = runtime.context
    report = continuity.check_continuity(
        room,
        SeriesBible.model_validate(state["bible"]),
        Script.model_validate(state["script"]),
        room.memory.summaries(before=state["episode"]),
    )
    content = report.model_dump(mode="json")
    revisions = _save(room, state, "continuity", content, continuity.AGENT)
    return Command(goto="review_script", update={"continuity": content, "revisions": revisions})


def review_script(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["write_script", "approve_script"]]:
    room = runtime.context
    report = ContinuityReport.model_validate(state["continuity"])
    critique = editor.review_script(
        room,
        EpisodeOutline.model_validate(state["outline"]),
        Script.model_validate(state["script"]),
        report,
    )
    content = critique.model_dump(mode="json")
    revisions = _save(room, state, "critique", content, editor.AGENT)
    update: dict[str, Any] = {"critique": content, "revisions": revisions}
    rounds = state.get("review_round", 0)
    if (
        critique.verdict == "revise" or report.errors()
    ) and rounds < room.config.room.review_rounds:
        notes = [f"Editor: {note}" for note in critique.notes]
        notes += [
            f"Continuity (scene {i.scene}{f', line {i.line}' if i.line else ''}): {i.description}"
            for i in report.issues
        ]
        update |= {"notes": "\n".join(notes), "review_round": rounds + 1}
        return Command(goto="write_script", update=update)
    return Command(goto="approve_script", update=update)


def plan_shots(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["approve_shots"]]:
    room = runtime.context
    outline = EpisodeOutline.model_validate(state["outline"])
    shots = director.plan_shots(
        room,
        SeriesBible.model_validate(state["bible"]),
        Script.model_validate(state["script"]),
        outline.target_runtime_seconds,
    )
    content = shots.model_dump(mode="json")
    revisions = _save(room, state, "shots", content, director.AGENT)
    return Command(goto="approve_shots", update={"shots": content, "revisions": revisions})


# checkpoints ------------------------------------------------------------------
def _decide(state: RoomState, room: Room, checkpoint: str) -> tuple[Decision, dict[str, Any]]:
    """Wait for (or, when this checkpoint does not stop, take) the decision and record it.

    Returns the decision and the state update that carries it out; an edit becomes a new
    revision of the draft, written by the person.
    """
    kind = CHECKPOINT_KINDS[checkpoint]
    revision = state.get("revisions", {}).get(kind, 0)
    if checkpoint in room.stops:
        payload = Checkpoint(
            checkpoint=checkpoint,
            episode=state["episode"],
            kind=kind,
            revision=revision,
            draft=state[kind],  # type: ignore[literal-required]
        )
        if kind == "script":
            payload |= {"continuity": state["continuity"], "critique": state["critique"]}
        decision = interrupt(payload, response_schema=Decision)
    else:
        decision = Decision(action="approve", by="auto")
    room.memory.record_decision(
        state["episode"], checkpoint, revision, decision.action, decision.notes, decision.by
    )
    if decision.action == "revise":
        return decision, {"notes": decision.notes}
    if decision.action == "edit":
        content = validate_draft(kind, decision.draft, dict(state))
        revisions = _save(room, state, kind, content, "person")
        return decision, {kind: content, "revisions": revisions}
    return decision, {}


def approve_bible(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["develop_series", "outline_episode"]]:
    room = runtime.context
    decision, update = _decide(state, room, "approve_bible")
    if decision.action == "revise":
        return Command(goto="develop_series", update=update)
    room.memory.save_bible(update.get("bible", state["bible"]))
    return Command(goto="outline_episode", update=update)


def approve_outline(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["outline_episode", "write_script"]]:
    room = runtime.context
    decision, update = _decide(state, room, "approve_outline")
    if decision.action == "revise":
        return Command(goto="outline_episode", update=update)
    outline = update.get("outline", state["outline"])
    room.memory.upsert_episode(state["episode"], title=outline["title"], outline=outline)
    return Command(goto="write_script", update=update | {"review_round": 0})


def approve_script(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["write_script", "plan_shots"]]:
    room = runtime.context
    decision, update = _decide(state, room, "approve_script")
    if decision.action == "revise":
        return Command(goto="write_script", update=update | {"review_round": 0})
    room.memory.upsert_episode(state["episode"], script=update.get("script", state["script"]))
    return Command(goto="plan_shots", update=update)


def approve_shots(
    state: RoomState, runtime: Runtime[Room]
) -> Command[Literal["plan_shots", "remember"]]:
    room = runtime.context
    decision, update = _decide(state, room, "approve_shots")
    if decision.action == "revise":
        return Command(goto="plan_shots", update=update)
    room.memory.upsert_episode(state["episode"], shots=update.get("shots", state["shots"]))
    return Command(goto="remember", update=update)


def remember(state: RoomState, runtime: Runtime[Room]) -> Command[Literal["__end__"]]:
    """Write what the episode established into series memory and close the episode."""
    room = runtime.context
    outline = EpisodeOutline.model_validate(state["outline"])
    summary = f"{outline.hook} {outline.reversal} It ends: {outline.cliffhanger}"
    room.memory.upsert_episode(state["episode"], summary=summary, status="shots approved")
    return Command(goto=END)


# wiring -----------------------------------------------------------------------
def start(state: RoomInput) -> Literal["develop_series", "outline_episode"]:
    """A series starts with its bible; a later episode brings the approved one."""
    return "outline_episode" if "bible" in state else "develop_series"


NODES = (
    develop_series,
    approve_bible,
    outline_episode,
    approve_outline,
    write_script,
    check_continuity,
    review_script,
    approve_script,
    plan_shots,
    approve_shots,
    remember,
)


def build_graph() -> StateGraph:
    """The room's graph, uncompiled: the caller chooses the checkpointer."""
    builder = StateGraph(RoomState, context_schema=Room, input_schema=RoomInput)
    for node in NODES:
        builder.add_node(node)
    builder.add_conditional_edges(START, start)
    return builder
