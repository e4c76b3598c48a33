"""What every agent's prompt shares: compact drafts and the revision request."""

from __future__ import annotations

from pydantic import BaseModel

from writersroom.prompting import compact


def dump(model: BaseModel | None) -> str:
    return compact(model.model_dump(mode="json")) if model is not None else ""


def revision_request(notes: str, previous: BaseModel | None) -> str:
    """The part of a prompt that asks to revise a draft, or nothing for a first draft."""
    if not notes and previous is None:
        return ""
    text = "\nRevise the previous draft."
    if previous is not None:
        text += f"\nPrevious draft:\n{dump(previous)}"
    if notes:
        text += f"\nNotes to address:\n{notes}"
    return text


def earlier(summaries: list[dict]) -> str:
    if not summaries:
        return "(this is the first episode)"
    return "\n".join(f'Episode {s["number"]} "{s["title"]}": {s["summary"]}' for s in summaries)
