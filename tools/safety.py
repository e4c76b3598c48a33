"""Keeping the tools inside the project's render folder, whatever paths a model writes."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from writersroom.tools.media import RenderError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def inside(root: Path, relative: str, suffixes: tuple[str, ...]) -> Path:
    """The file `relative` names inside `root`, or RenderError when it would be elsewhere.

    Only plain relative paths of simple names are accepted: no absolute paths, no `..`, no
    hidden or odd names, one of `suffixes`, and nothing that resolves (through a link) outside
    `root`.
    """
    given = PurePosixPath(relative.strip().replace("\\", "/"))
    parts = given.parts
    if (
        not parts
        or given.is_absolute()
        or len(parts) > 4
        or not all(SAFE_NAME.match(part) for part in parts)
    ):
        raise RenderError(
            f"{relative!r} is not a file name inside the render folder "
            "(use plain relative names such as shot-01/video.mp4)"
        )
    if given.suffix.lower() not in suffixes:
        raise RenderError(f"{relative!r} must end in {' or '.join(suffixes)}")
    base = root.resolve()
    path = (base / Path(*parts)).resolve()
    if not path.is_relative_to(base):
        raise RenderError(f"{relative!r} leads outside the render folder")
    return path


def existing(root: Path, relative: str, suffixes: tuple[str, ...]) -> Path:
    """A file of the render folder named by a request; elsewhere or missing is a RenderError."""
    path = inside(root, relative, suffixes)
    if not path.is_file():
        raise RenderError(f"{relative!r} has not been rendered yet")
    return path
