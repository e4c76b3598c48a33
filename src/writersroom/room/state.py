"""The graph's state. Drafts are kept as plain JSON dicts so any checkpoint reader can load them."""

from __future__ import annotations

from typing import Any, NotRequired

# pydantic (which LangGraph Studio uses for the graph's input and state schemas) needs
# typing_extensions' TypedDict before Python 3.12.
from typing_extensions import TypedDict


class RoomInput(TypedDict):
    """What starts an episode: premise and number; a later episode brings the approved bible."""

    premise: str
    episode: int
    bible: NotRequired[dict[str, Any]]


class RoomState(TypedDict):
    premise: str
    episode: int
    bible: NotRequired[dict[str, Any]]
    outline: NotRequired[dict[str, Any]]
    script: NotRequired[dict[str, Any]]
    continuity: NotRequired[dict[str, Any]]
    critique: NotRequired[dict[str, Any]]
    shots: NotRequired[dict[str, Any]]
    # Notes for the next draft: the person's at a checkpoint, or the editor's in review.
    notes: NotRequired[str]
    # The scenes the next draft rewrites when review found faults in those scenes only (the
    # rest of the script is kept as it was); empty: the whole script.
    rewrite: NotRequired[list[int]]
    # Editor review rounds spent on the current script.
    review_round: NotRequired[int]
    # The best draft reviewed in these rounds (fewest rule-found errors, then the editor's
    # highest total): its script, continuity report, critique and that standing.
    reviewed: NotRequired[dict[str, Any] | None]
    # The latest revision number of each kind of draft.
    revisions: NotRequired[dict[str, int]]
    # The director's production under way: its ledger run, the shots it was asked for, its
    # answer's tool calls and usage, what was refused, and how many answers in a row (of
    # which invocation) added nothing.
    direction: NotRequired[dict[str, Any]]
    # What production made per shot (files, durations, costs), and the finished cut.
    production: NotRequired[dict[str, Any]]
    cut: NotRequired[dict[str, Any]]


class Checkpoint(TypedDict):
    """The payload of an interrupt: what waits for a person's decision."""

    checkpoint: str
    episode: int
    kind: str
    revision: int
    draft: dict[str, Any]
    continuity: NotRequired[dict[str, Any]]
    critique: NotRequired[dict[str, Any]]
