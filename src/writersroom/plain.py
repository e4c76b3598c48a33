"""Text is text: terminal control characters taken out of what is printed or written.

Model answers and people's edits may hold escape sequences (`ESC ] 0 ; title BEL` retitles a
terminal window, `ESC [ 2 J` clears it) or bidirectional overrides that make a line read
differently from what it holds. `escaped` shows them as visible `\\x1b`-style escapes (for
reading: `show`, messages), `stripped` removes them (subtitles, exports). Newlines and tabs
stay.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escaped(text: str) -> str:
    """`text` with each control character written as a visible escape (`\\x1b`)."""
    return CONTROL.sub(_visible, text)


def stripped(text: str) -> str:
    """`text` without control characters."""
    return CONTROL.sub("", text)


def escaped_tree(value: Any) -> Any:
    """A JSON-like value with every string in it (keys included) `escaped`."""
    if isinstance(value, str):
        return escaped(value)
    if isinstance(value, dict):
        return {escaped_tree(k): escaped_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escaped_tree(v) for v in value]
    return value
