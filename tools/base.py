"""The tools' argument schemas and the small interfaces their backends implement.

A backend is chosen by configuration (`[production]` in writersroom.toml), never by `if` chains:
each backend class is declared under a name as an entry point (see `registry`). Every call
returns a `MediaResult`; the cache keys a call by backend name + the request's JSON, so the same
call is never paid twice.
Backends write only to the `out` path they are given, inside the project's render folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

if TYPE_CHECKING:
    from writersroom.tools.assemble import AssembleRequest

WIDTH, HEIGHT, FPS = 720, 1280, 24


View = Literal["portrait", "figure"]  # the views of a character's reference sheet


class Reference(BaseModel):
    """A view of a character's reference sheet. Cache keys know it by its content; a backend
    that takes reference images reads it at `path`."""

    view: View
    sha256: str
    path: str = Field(default="", exclude=True)


class CharacterLook(BaseModel):
    """How a character is drawn and heard: fixed once per series, kept in series memory.
    `notes` are those the figure of the character's sheet was last drawn with (`sheets`), so
    that the shots show what the sheet shows."""

    name: str
    look: str
    seed: int
    references: list[Reference] = Field(default_factory=list)
    notes: str = ""

    @model_serializer(mode="wrap")
    def _without_empty_notes(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No `notes` key when there are none: a look is part of every render key of the
        shots it is in, and a look without notes keeps the key it had before looks had notes
        (the references' hashes alone do not tell notes apart that draw the same picture)."""
        dumped: dict[str, Any] = handler(self)
        if not self.notes:
            dumped.pop("notes", None)
        return dumped


class ImageRequest(BaseModel):
    """draw_character: one view of a character's reference sheet."""

    character: CharacterLook
    view: View
    notes: str = ""  # asked for when the sheet is made again


class VideoRequest(BaseModel):
    """generate_video: one shot's moving picture, without sound."""

    shot: int = Field(ge=1)
    visual_prompt: str
    framing: Literal["wide", "medium", "close-up"]
    camera: Literal["static", "pan", "push-in"]
    duration_seconds: float = Field(gt=0, le=30)
    characters: list[CharacterLook] = Field(default_factory=list)
    setting: str = ""


class VoiceRequest(BaseModel):
    """synthesize_voice: one dialogue line in the speaking character's voice."""

    shot: int = Field(ge=1)
    speaker: str
    voice_id: str
    text: str
    language: str = "en"


class LipSyncRequest(BaseModel):
    """lip_sync: animate the speaker's mouth in a shot's video to a voice line."""

    shot: int = Field(ge=1)
    speaker: str
    video: str  # a file made by generate_video, relative to the render folder
    audio: str  # a file made by synthesize_voice, relative to the render folder
    offset_seconds: float = Field(default=0, ge=0)


class MediaResult(BaseModel):
    path: str  # relative to the render folder
    duration_seconds: float
    cost: float = 0.0
    meta: dict[str, Any] = Field(default_factory=dict)  # e.g. phoneme timings for a voice


# A backend may also set `revision` (default 1): raising it when its output changes for the
# same request makes the render cache make those calls again; `identity` (default its name):
# what cache keys know it by, with the options that change what it makes (`clips.SheetsAs`);
# `concurrency` (default 1): how many of its calls run at once (`[production.concurrency]`
# overrides it by name); and what its work is, for the executor (tools/executor.py):
# `provider = True` for jobs on a provider's service, `cpu_bound = True` for renders computed
# in Python on this machine.


@runtime_checkable
class VideoBackend(Protocol):
    name: str

    def generate(self, request: VideoRequest, out: Path) -> MediaResult: ...


@runtime_checkable
class RemoteVideoBackend(VideoBackend, Protocol):
    """A video backend whose calls are paid provider tasks: submitted once, then polled. The
    render cache keeps the task id in between, so a killed render polls it again."""

    def submit(self, request: VideoRequest) -> str: ...

    def collect(self, task_id: str, request: VideoRequest, out: Path) -> MediaResult: ...


@runtime_checkable
class ImageBackend(Protocol):
    name: str

    def draw(self, request: ImageRequest, out: Path) -> MediaResult: ...


@runtime_checkable
class VoiceBackend(Protocol):
    name: str

    def speak(self, request: VoiceRequest, out: Path) -> MediaResult: ...


@runtime_checkable
class LipSyncBackend(Protocol):
    name: str

    def sync(self, request: LipSyncRequest, root: Path, out: Path) -> MediaResult: ...


@runtime_checkable
class Assembler(Protocol):
    name: str

    def assemble(self, request: AssembleRequest, root: Path, out: Path) -> MediaResult: ...
