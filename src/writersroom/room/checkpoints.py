"""Checkpoints: the drafts they show, the decision they wait for (and record), the validation
of a person's edited draft, and each draft's revisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from langgraph.types import interrupt
from pydantic import BaseModel, ValidationError

from writersroom.errors import InputError
from writersroom.room.answers import summarize
from writersroom.room.context import Room
from writersroom.room.state import Checkpoint, RoomState
from writersroom.schemas import (
    ContinuityIssue,
    Decision,
    EpisodeOutline,
    Script,
    SeriesBible,
    ShotList,
)

BIBLE_EPISODE = 0  # the bible's drafts belong to the series, stored under episode 0
Gate = Callable[[Decision], list[ContinuityIssue]]  # the problems that refuse a decision


def _next_revision(state: RoomState, kind: str) -> tuple[int, dict[str, int]]:
    revisions = dict(state.get("revisions", {}))
    revisions[kind] = revisions.get(kind, 0) + 1
    return revisions[kind], revisions


def save(
    room: Room, state: RoomState, kind: str, content: dict[str, Any], agent: str
) -> dict[str, int]:
    """Store `content` as the next revision of its kind of draft; the new revision numbers."""
    revision, revisions = _next_revision(state, kind)
    episode = BIBLE_EPISODE if kind == "bible" else state["episode"]
    model = room.models.name_for(agent) if agent != "person" else "person"
    room.memory.save_draft(episode, kind, revision, content, agent, model)
    return revisions


# checkpoint -> the kind of draft it decides on
CHECKPOINT_KINDS = {
    "approve_bible": "bible",
    "approve_outline": "outline",
    "approve_script": "script",
    "approve_shots": "shots",
}
SCHEMAS: dict[str, type[BaseModel]] = {
    "bible": SeriesBible,
    "outline": EpisodeOutline,
    "script": Script,
    "shots": ShotList,
}


def validate_draft(kind: str, data: Any, state: dict[str, Any]) -> dict[str, Any]:
    """Validate an edited draft with its schema and cross-checks; return it normalized.

    Raises:
        InputError: naming the first problems, so the person can fix the draft.
    """
    try:
        draft = SCHEMAS[kind].model_validate(data)
        if isinstance(draft, Script):
            draft.check_cast(SeriesBible.model_validate(state["bible"]))
        elif isinstance(draft, ShotList):
            draft.check_against(
                Script.model_validate(state["script"]), SeriesBible.model_validate(state["bible"])
            )
    except ValidationError as exc:
        raise InputError(f"the edited {kind} is not valid: {summarize(exc)}") from None
    except ValueError as exc:
        raise InputError(f"the edited {kind} is not valid: {exc}") from None
    return draft.model_dump(mode="json")


@overload
def decide(
    state: RoomState, room: Room, checkpoint: str, gate: None = None
) -> tuple[Decision, dict[str, Any]]: ...
@overload
def decide(
    state: RoomState, room: Room, checkpoint: str, gate: Gate
) -> tuple[Decision, dict[str, Any] | None]: ...
def decide(
    state: RoomState, room: Room, checkpoint: str, gate: Gate | None = None
) -> tuple[Decision, dict[str, Any] | None]:
    """Wait for (or, when this checkpoint does not stop, take) the decision and record it.

    Returns the decision and the state update that carries it out; an edit becomes a new
    revision of the draft, written by the person. A `gate` that finds problems with a decision
    refuses it (update None, nothing recorded); it also stops a checkpoint that would approve
    on its own.
    """
    kind = CHECKPOINT_KINDS[checkpoint]
    revision = state.get("revisions", {}).get(kind, 0)
    auto = Decision(action="approve", by="auto")
    if checkpoint in room.stops or (gate is not None and gate(auto)):
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
        decision = auto
    if gate is not None and gate(decision):
        return decision, None
    room.memory.record_decision(
        state["episode"],
        checkpoint,
        revision,
        decision.action,
        decision.notes,
        decision.by,
        decision.override,
    )
    if decision.action == "revise":
        return decision, {"notes": decision.notes}
    if decision.action == "edit":
        content = validate_draft(kind, decision.draft, dict(state))
        revisions = save(room, state, kind, content, "person")
        return decision, {kind: content, "revisions": revisions}
    return decision, {}
