"""The drafts a checkpoint shows, and the validation of a person's edited draft."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from writersroom.errors import InputError
from writersroom.room.answers import summarize
from writersroom.schemas import EpisodeOutline, Script, SeriesBible, ShotList

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
