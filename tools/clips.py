"""What the real video backends share: the text and seed a picture model is given for a shot,
the characters' sheets it is given (as references, or the picture it starts from), downloading a
result URL, conforming a clip a service returned to the shot format, and a voice line placed in
its shot for a lip-sync service."""

from __future__ import annotations

import base64
from pathlib import Path

import requests

from writersroom.errors import ConfigError
from writersroom.tools.base import FPS, HEIGHT, WIDTH, VideoRequest
from writersroom.tools.media import RenderError, run

ENCODE = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
SUBJECT, FIRST_FRAME = "subject", "first-frame"  # the ways a provider takes the sheets


def shot_description(request: VideoRequest) -> str:
    """The text a picture model is given for a shot: its visual prompt, setting, framing,
    camera and the fixed look of each character in it."""
    parts = [request.visual_prompt.strip().rstrip(".")]
    if request.setting.strip():
        parts.append(request.setting.strip().rstrip("."))
    parts.append(f"{request.framing} shot, {request.camera} camera, vertical 9:16")
    parts.extend(f"{c.name}: {c.look.strip().rstrip('.')}" for c in request.characters)
    return ". ".join(parts) + "."


def shot_seed(request: VideoRequest) -> int:
    """A seed that keeps a shot reproducible and a character's shots alike: the first
    character's series seed, else the shot number."""
    return (request.characters[0].seed if request.characters else request.shot) % (2**31)


def conform_video(source: Path, out: Path, duration: float) -> None:
    """Re-encode `source` as a shot: 720x1280 (scaled to cover, centre-cropped), 24 fps, H.264,
    no audio, exactly `duration` seconds (the last frame held if the source is shorter)."""
    picture = (
        f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=increase,crop={WIDTH}:{HEIGHT},"
        f"setsar=1,fps={FPS},tpad=stop_mode=clone:stop_duration={duration:.3f}"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    run(["-i", str(source), "-vf", picture, "-t", f"{duration:.3f}", "-an", *ENCODE, str(out)])


def place_line(audio: Path, offset: float, length: float, out: Path) -> None:
    """A voice line as a mono WAV the length of its shot (at least 2 s, the least lip-sync
    services take): silence for `offset` seconds, the line, then silence."""
    delay = round(offset * 1000)
    placed = f"adelay={delay}:all=1,apad=whole_dur={max(2.0, length)}"
    run(["-i", str(audio), "-af", placed, "-ac", "1", str(out)])


def download(url: str, out: Path, timeout: float) -> None:
    """Fetch a result URL into `out`, streamed; an HTTP or network failure is a RenderError."""
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code != 200:
                raise RenderError(f"downloading the result answered HTTP {response.status_code}")
            with out.open("wb") as file:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    file.write(chunk)
    except requests.RequestException as exc:
        raise RenderError(f"cannot download the result: {type(exc).__name__}") from exc


def references(request: VideoRequest, view: str = "portrait", most: int = 4) -> list[Path]:
    """The reference images of the shot's characters (one `view` each, at most `most`)."""
    found = [Path(r.path) for c in request.characters for r in c.references if r.view == view]
    return found[:most]


def inline(path: Path) -> str:
    """A file's bytes in base64, as providers that take an image inline accept it."""
    return base64.b64encode(path.read_bytes()).decode()


def data_uri(path: Path) -> str:
    """A PNG image as a base64 data URI."""
    return "data:image/png;base64," + inline(path)


def first_frame(request: VideoRequest) -> Path | None:
    """The picture a shot starts from: the full figure (720x1280, the shot's own shape: an
    image-to-video model keeps its picture's shape) of the first of its characters that has a
    reference sheet; None for a shot without one."""
    figures = references(request, view="figure", most=1)
    return figures[0] if figures else None


class SheetsAs:
    """The `references` option of a video backend whose provider takes a character's sheet two
    ways: "subject" (the default), the portraits of the shot's characters given to a
    reference-to-video model; or "first-frame", the shot started by an image-to-video model from
    the portrait of its first character with a sheet (`first_frame`). Shots without sheets are
    text-to-video either way."""

    name: str
    references: str = SUBJECT

    def take_sheets_as(self, references: str) -> None:
        """Set the option; any other value than the two ways is a ConfigError."""
        if references not in (SUBJECT, FIRST_FRAME):
            raise ConfigError(
                f"{self.name}: references = {references!r}; "
                f"use {SUBJECT!r} (the default) or {FIRST_FRAME!r}"
            )
        self.references = references

    @property
    def identity(self) -> str:
        """The backend as render cache keys know it (tools/toolkit.py): a shot started from a
        portrait is another clip than one made with its characters as references, so the way
        is part of it, except the default, which keeps the keys made before the option."""
        return self.name if self.references == SUBJECT else f"{self.name}+{self.references}"

    def starts_from(self, request: VideoRequest) -> Path | None:
        """The picture the shot starts from (`first_frame`) when this backend makes shots from
        a first frame; else None."""
        return first_frame(request) if self.references == FIRST_FRAME else None
