"""The embedded lip-sync backend: phoneme timings -> visemes -> the drawn mouth, frame by frame.

It works on videos whose face map says where each character's mouth is in every frame (the
storyboard keeps one); the voice's phoneme timings say which mouth shape to draw when. A voice
without timings is followed by its loudness instead.
"""

from __future__ import annotations

import bisect
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from writersroom.tools.base import FPS, HEIGHT, WIDTH, LipSyncRequest, MediaResult
from writersroom.tools.cache import sidecar
from writersroom.tools.media import overlay_video, probe, read_audio
from writersroom.tools.safety import inside

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm")
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
TAIL_SECONDS = 0.3
SILENT = set(" ^$_.,!?;:-|…")
MARKS = "ˈˌːˑ'\",:"
STRESS = {"ˈ", "ˌ", "'"}
LENGTH = {"ː", "ˑ"}
LIPS = (150, 46, 58)
INSIDE = (70, 18, 28)
TEETH = (245, 245, 240)


def viseme(phoneme: str) -> str:
    """The mouth shape of a phoneme, written in IPA (piper) or eSpeak's own symbols."""
    symbol = phoneme.strip(MARKS)
    if not symbol or symbol[0] in SILENT:
        return "rest"
    first = symbol[0]
    if first in "mbpɱ":
        return "closed"
    if first in "fv":
        return "fv"
    if first in "ouɔʊwOUɒ":
        return "round"
    if first in "aɑæʌAɐ":
        return "wide"
    if first in "eɛɪiəɚɜIE@3y":
        return "mid"
    return "small"


def visemes(symbols: list[str]) -> list[str]:
    """Each phoneme's viseme; a stress mark takes the next sound's, a length mark the last's."""
    shapes = [viseme(symbol) for symbol in symbols]
    for index in reversed(range(len(symbols))):
        if symbols[index] and symbols[index] in STRESS and index + 1 < len(shapes):
            shapes[index] = shapes[index + 1]
    for index, symbol in enumerate(symbols):
        if symbol and symbol in LENGTH and index > 0:
            shapes[index] = shapes[index - 1]
    return shapes


def timeline(phonemes: list[list], fps: int, frames: int) -> list[str]:
    """The viseme of each frame of a line, from (phoneme, start, end) timings."""
    starts = [float(p[1]) for p in phonemes]
    shapes = visemes([str(p[0]) for p in phonemes])
    found = []
    for index in range(frames):
        t = (index + 0.5) / fps
        at = bisect.bisect_right(starts, t) - 1
        found.append(shapes[at] if at >= 0 and t < float(phonemes[at][2]) else "rest")
    return found


def loudness_timeline(audio: np.ndarray, rate: int, fps: int) -> list[str]:
    """Visemes from loudness alone, for voices that come without phoneme timings."""
    step = rate // fps
    levels = [float(np.sqrt(np.mean(audio[i : i + step] ** 2))) for i in range(0, len(audio), step)]
    peak = max(levels, default=0.0) or 1.0
    return [
        "wide"
        if v > 0.6 * peak
        else "mid"
        if v > 0.3 * peak
        else "small"
        if v > 0.1 * peak
        else "rest"
        for v in levels
    ]


def draw_mouth(frame: Image.Image, x: float, y: float, w: float, skin: tuple, shape: str) -> None:
    draw = ImageDraw.Draw(frame)
    draw.ellipse((x - 0.62 * w, y - 0.3 * w, x + 0.62 * w, y + 0.45 * w), fill=skin)
    line = max(1, int(0.08 * w))
    if shape in ("rest", "closed"):
        draw.line((x - w / 2, y, x + w / 2, y), fill=LIPS, width=line + (shape == "closed"))
        return
    if shape == "fv":
        draw.rectangle((x - 0.35 * w, y - 0.1 * w, x + 0.35 * w, y + 0.02 * w), fill=TEETH)
        draw.line((x - 0.45 * w, y + 0.06 * w, x + 0.45 * w, y + 0.06 * w), fill=LIPS, width=line)
        return
    half_w, top, bottom = {
        "small": (0.32, 0.08, 0.14),
        "mid": (0.42, 0.14, 0.26),
        "wide": (0.48, 0.2, 0.42),
        "round": (0.2, 0.2, 0.26),
    }[shape]
    box = (x - half_w * w, y - top * w, x + half_w * w, y + bottom * w)
    draw.ellipse(box, fill=INSIDE, outline=LIPS, width=line)
    if shape in ("mid", "wide"):
        draw.rectangle(
            (box[0] + line, box[1] + line, box[2] - line, box[1] + line + 0.06 * w), fill=TEETH
        )


class DrawnMouthSync:
    """Animates the speaker's drawn mouth; lengthens the shot if the line runs past its end."""

    name = "embedded"
    revision = 2  # 2: a held last frame no longer keeps the mouth of the line that ended on it
    cpu_bound = True  # worth worker processes (see tools/executor.py)

    def sync(self, request: LipSyncRequest, root: Path, out: Path) -> MediaResult:
        video = inside(root, request.video, VIDEO_SUFFIXES)
        audio_file = inside(root, request.audio, AUDIO_SUFFIXES)
        picture, voice = sidecar(video), sidecar(audio_file)
        face = picture.get("faces", {}).get(request.speaker)
        fps = int(picture.get("fps", FPS))
        if face is None:
            shutil.copyfile(video, out)
            reason = f"{request.speaker} has no drawn face in this video"
            drawn = int(picture.get("frames", 0))
            return MediaResult(
                path=out.name,
                duration_seconds=drawn / fps if drawn else 0.0,
                meta={**picture, "synced": False, "reason": reason},
            )
        rate = 16000
        audio = read_audio(audio_file, rate)
        spoken = len(audio) / rate
        line_frames = math.ceil(spoken * fps)
        if voice.get("phonemes"):
            shapes = timeline(voice["phonemes"], fps, line_frames)
        else:
            shapes = loudness_timeline(audio, rate, fps)
        first = round(request.offset_seconds * fps)
        drawn = int(picture.get("frames") or round(probe(video)["duration"] * fps))
        total = max(drawn, first + line_frames + round(TAIL_SECONDS * fps))
        faces = {
            name: {**f, "mouth": f["mouth"] + [f["mouth"][-1]] * (total - len(f["mouth"]))}
            for name, f in picture["faces"].items()
        }
        mouths, skin = faces[request.speaker]["mouth"], tuple(face["skin"])

        def layers() -> Iterator[Image.Image]:  # the line's frames only, one at a time
            for index in range(first, min(first + len(shapes), len(mouths))):
                layer = Image.new("RGBA", (WIDTH, HEIGHT))
                x, y, w = mouths[index]
                draw_mouth(layer, x, y, w, skin, shapes[index - first])
                yield layer

        overlay_video(video, layers(), first, total, out, fps)
        return MediaResult(
            path=out.name,
            duration_seconds=total / fps,
            meta={**picture, "frames": total, "faces": faces, "synced": True},
        )
