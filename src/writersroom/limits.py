"""Limits on what a person may hand the room, checked where it comes in (CLI, page, Studio).

Numbers stay far inside SQLite's 64-bit integers; texts are capped like the premise; an
edited draft is a JSON object of bounded size and depth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from writersroom.errors import InputError

MAX_EPISODE = 10_000
MAX_REVISION = 1_000_000
MAX_NOTES_CHARS = 4_000
MAX_EDIT_CHARS = 500_000  # a draft's JSON as edited: a long shot list is some tens of KB
MAX_JSON_DEPTH = 32  # a script is six levels deep


def depth(value: Any) -> int:
    """How deeply `value` nests lists and objects (without recursion: any depth is safe)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def check_draft(draft: Any) -> dict[str, Any]:
    """`draft` if it is a JSON object within the limits; InputError saying why not."""
    if not isinstance(draft, dict):
        kind = "null" if draft is None else type(draft).__name__.replace("str", "string")
        raise InputError(f"the edited draft is a JSON {kind}; it must be an object {{...}}")
    if depth(draft) > MAX_JSON_DEPTH:
        raise InputError(
            f"the edited draft nests deeper than {MAX_JSON_DEPTH} levels; a draft is far shallower"
        )
    return draft


def parse_draft(text: str) -> dict[str, Any]:
    """An edited draft from its JSON text; InputError for text that is too long or no object."""
    if len(text) > MAX_EDIT_CHARS:
        raise InputError(
            f"the edited draft is {len(text):,} characters; keep it under {MAX_EDIT_CHARS:,}"
        )
    try:
        draft = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"the edited draft is not JSON ({exc}); nothing was changed") from None
    except RecursionError:
        raise InputError(
            f"the edited draft nests deeper than {MAX_JSON_DEPTH} levels; nothing was changed"
        ) from None
    return check_draft(draft)


def read_draft_json(file: Path) -> dict[str, Any]:
    """The edited draft in `file`, read within the limits."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_EDIT_CHARS * 4 + 1)
        text = raw.decode("utf-8")
    except OSError as exc:
        raise InputError(f"{file} cannot be read ({exc.strerror}); nothing was changed") from None
    except UnicodeDecodeError:
        raise InputError(f"{file} is not UTF-8 text; nothing was changed") from None
    try:
        return parse_draft(text)
    except InputError as exc:
        raise InputError(f"{file}: {exc}") from None
