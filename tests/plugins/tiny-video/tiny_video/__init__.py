"""A video backend from outside writersroom: the storyboard's picture, signed with its name."""

from __future__ import annotations

from pathlib import Path

from writersroom.tools.base import MediaResult, VideoRequest
from writersroom.tools.storyboard import StoryboardVideo


class TinyVideo:
    name = "tiny-video"

    def __init__(self, signature: str = "tiny") -> None:
        self.signature = signature
        self.drawn = StoryboardVideo()

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        made = self.drawn.generate(request, out)
        return made.model_copy(update={"meta": {**made.meta, "signed": self.signature}})
