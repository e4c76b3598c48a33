"""Which class implements each backend: a name in `[production]` -> "module:Class".

A backend module is imported only when a project's configuration names it, so an optional
extra (diffusers, DashScope) costs nothing to projects that do not use it. A backend class is
built as `Class(**options)`, with the options of its `[production.options.NAME]` table.
"""

from __future__ import annotations

import importlib
from typing import Any

from writersroom.errors import ConfigError

KINDS = ("video", "voice", "lip_sync", "assemble")
BACKENDS: dict[str, dict[str, str]] = {
    "video": {
        "storyboard": "writersroom.tools.storyboard:StoryboardVideo",
        "diffusers": "writersroom.tools.diffusers_video:DiffusersVideo",
        "dashscope-wan": "writersroom.tools.dashscope_media:WanVideo",
    },
    "voice": {
        "embedded": "writersroom.tools.voices:EmbeddedVoice",
        "dashscope-cosyvoice": "writersroom.tools.dashscope_media:CosyVoice",
    },
    "lip_sync": {
        "embedded": "writersroom.tools.lipsync:DrawnMouthSync",
        "dashscope-retalk": "writersroom.tools.dashscope_media:VideoRetalk",
    },
    "assemble": {"ffmpeg": "writersroom.tools.assemble:FfmpegAssembler"},
}


def register(kind: str, name: str, target: str) -> None:
    """Make `target` ("module:Class") the backend `name` of `kind`."""
    if kind not in BACKENDS:
        raise ValueError(f"unknown tool kind {kind!r}; kinds are {', '.join(KINDS)}")
    BACKENDS[kind][name] = target


def names(kind: str) -> list[str]:
    return sorted(BACKENDS[kind])


def load(kind: str, name: str, options: dict[str, Any] | None = None) -> Any:
    """An instance of the backend `name` of `kind`, built with its configured options."""
    target = BACKENDS[kind].get(name)
    if target is None:
        raise ConfigError(
            f"unknown {kind} backend {name!r}; choose one of {', '.join(names(kind))}"
        )
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"the {kind} backend {name!r} is not installed ({exc.name} is missing): "
            "pip install 'writersroom[media]' or the extra its documentation names"
        ) from None
    try:
        return getattr(module, class_name)(**(options or {}))
    except TypeError as exc:
        raise ConfigError(f"[production.options.{name}]: {exc}") from None
