"""Backends by name, from the entry point group `writersroom.backends` (named KIND.NAME).

Ours are declared in pyproject.toml like any other package's, so a third-party package adds a
backend without editing writersroom (tests/plugins/tiny-video is one):

    [project.entry-points."writersroom.backends"]
    "video.my-video" = "my_package:MyVideo"

A backend module is imported only when a project's configuration names it, so an optional
extra (diffusers, DashScope) costs nothing to projects that do not use it. A backend class is
built as `Class(**options)`, with the options of its `[production.options.NAME]` table, and must
implement its kind's Protocol (`writersroom.tools.base`).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, overload

from writersroom.errors import ConfigError
from writersroom.tools.base import (
    Assembler,
    ImageBackend,
    LipSyncBackend,
    VideoBackend,
    VoiceBackend,
)

GROUP = "writersroom.backends"
Backend = VideoBackend | VoiceBackend | LipSyncBackend | Assembler | ImageBackend
PROTOCOLS: dict[str, type[Any]] = {
    "video": VideoBackend,
    "voice": VoiceBackend,
    "lip_sync": LipSyncBackend,
    "assemble": Assembler,
    "image": ImageBackend,
}
KINDS = tuple(PROTOCOLS)


@cache
def _declared() -> dict[str, dict[str, EntryPoint]]:
    found: dict[str, dict[str, EntryPoint]] = {kind: {} for kind in KINDS}
    for point in entry_points(group=GROUP):
        kind, _, name = point.name.partition(".")
        if kind in found and name:
            found[kind][name] = point
    return found


def names(kind: str) -> list[str]:
    return sorted(_declared()[kind])


@overload
def load(
    kind: Literal["video"], name: str, options: dict[str, Any] | None = ...
) -> VideoBackend: ...
@overload
def load(
    kind: Literal["voice"], name: str, options: dict[str, Any] | None = ...
) -> VoiceBackend: ...
@overload
def load(
    kind: Literal["lip_sync"], name: str, options: dict[str, Any] | None = ...
) -> LipSyncBackend: ...
@overload
def load(
    kind: Literal["image"], name: str, options: dict[str, Any] | None = ...
) -> ImageBackend: ...
@overload
def load(
    kind: Literal["assemble"], name: str, options: dict[str, Any] | None = ...
) -> Assembler: ...
def load(kind: str, name: str, options: dict[str, Any] | None = None) -> Backend:
    """An instance of the backend `name` of `kind`, built with its configured options."""
    point = _declared()[kind].get(name)
    if point is None:
        raise ConfigError(
            f"unknown {kind} backend {name!r}; choose one of {', '.join(names(kind))}"
        )
    try:
        backend_class = point.load()
    except ImportError as exc:
        raise ConfigError(
            f"the {kind} backend {name!r} is not installed ({exc.name} is missing): "
            "pip install 'writersroom[media]' or the extra its documentation names"
        ) from None
    try:
        backend = backend_class(**(options or {}))
    except TypeError as exc:
        raise ConfigError(f"[production.options.{name}]: {exc}") from None
    if not isinstance(backend, PROTOCOLS[kind]):
        raise ConfigError(
            f"the {kind} backend {name!r} ({point.value}) does not implement "
            f"{PROTOCOLS[kind].__name__}"
        )
    return backend
