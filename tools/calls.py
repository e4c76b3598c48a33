"""The director's tools as the model sees them (their argument schemas), and the approved plan
and cast their calls are checked against and filled in from (`toolkit.Studio`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from writersroom.tools.base import CharacterLook
from writersroom.tools.cache import Make

ORDER = {"synthesize_voice": 0, "generate_video": 1, "lip_sync": 2}


class GenerateVideo(BaseModel):
    """Draw one shot of the episode as a 9:16 moving picture, without sound. Call it once per
    shot. Framing, camera, duration, characters and visual prompt default to the approved shot
    list's; give one only to change it. It writes shot-NN/video.mp4 unless `out` names another
    file."""

    shot: int = Field(ge=1, description="the shot's number in the shot list")
    visual_prompt: str = Field(default="", max_length=600, description="what the camera sees")
    framing: Literal["wide", "medium", "close-up"] | None = None
    camera: Literal["static", "pan", "push-in"] | None = None
    duration_seconds: float | None = Field(default=None, gt=0, le=30)
    characters: list[str] | None = Field(default=None, max_length=6, description="cast names")
    out: str = Field(default="", max_length=120, description="file inside the render folder")


class SynthesizeVoice(BaseModel):
    """Speak one dialogue line in its speaker's voice (the words come from the approved
    script). Call it once for every line of every shot. It writes shot-NN/line-L.wav unless
    `out` names another file."""

    shot: int = Field(ge=1)
    line: int = Field(ge=1, description="the line's number in its scene, as in the shot list")
    speaker: str = Field(default="", max_length=60, description="default: the line's speaker")
    out: str = Field(default="", max_length=120)


class LipSync(BaseModel):
    """Move the speaker's mouth in the shot's video to their voice line. Call it once for
    every line whose speaker is in frame, after generate_video and synthesize_voice made the
    shot's video and the line's voice (it uses those files unless `video` and `audio` name
    them). It writes shot-NN/lipsync-L.mp4 unless `out` names another file."""

    shot: int = Field(ge=1)
    line: int = Field(ge=1)
    speaker: str = Field(default="", max_length=60, description="default: the line's speaker")
    video: str = Field(default="", max_length=120, description="the shot's video file")
    audio: str = Field(default="", max_length=120, description="the line's voice file")
    out: str = Field(default="", max_length=120)


@dataclass
class PlannedLine:
    line: int
    speaker: str
    text: str


@dataclass
class PlannedShot:
    """An approved shot as production needs it: what its calls default to."""

    number: int
    scene: int
    setting: str
    characters: list[str]
    lines: list[PlannedLine]
    framing: Literal["wide", "medium", "close-up"]
    camera: Literal["static", "pan", "push-in"]
    duration_seconds: float
    visual_prompt: str


@dataclass
class Job:
    """One call's work for a backend: `make(out)` writes its file (or a paid provider task)."""

    tool: str
    kind: str  # the backend's kind: video, voice or lip_sync
    shot: int
    request: BaseModel
    make: Make
    file: str  # the file it writes unless the call names another


@dataclass
class CastMember:
    look: CharacterLook
    voice_id: str
