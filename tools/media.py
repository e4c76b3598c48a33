"""The bundled ffmpeg (imageio-ffmpeg): frames in and out of H.264, audio decoding, probing.

Every backend that reads or writes media goes through here, so one binary and one set of
encoder settings make every intermediate file.
"""

from __future__ import annotations

import re
import subprocess
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from writersroom.errors import WritersroomError
from writersroom.tools.base import FPS, HEIGHT, WIDTH

AUDIO_RATE = 44100
FRAME_BYTES = WIDTH * HEIGHT * 3
# every intermediate video: quick to encode, near lossless (the cut encodes the episode)
ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p"]


class RenderError(WritersroomError):
    """A media tool could not produce its file: what failed and what to do."""


def ffmpeg() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RenderError(
            "rendering needs the bundled ffmpeg: pip install 'writersroom[media]'"
        ) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def run(args: list[str], stdin: bytes | None = None) -> bytes:
    """Run ffmpeg with `args`; return its stdout or raise RenderError with its last words."""
    done = subprocess.run(
        [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RenderError(f"ffmpeg failed: {' / '.join(tail) or 'no message'}")
    return done.stdout


def _encode(args: list[str], frames: Iterable[bytes], failed: str) -> int:
    """Run ffmpeg (`args` after the binary) with raw frames on its stdin; how many were fed.
    Raises RenderError with `failed` and ffmpeg's last words when it fails."""
    command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args]
    count = 0
    with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        try:
            for frame in frames:
                proc.stdin.write(frame)
                count += 1
        except BrokenPipeError:
            pass
        finally:
            proc.stdin.close()
        problem = proc.stderr.read().decode(errors="replace").strip()
    if proc.returncode != 0:
        raise RenderError(f"{failed}: {problem[-300:]}")
    return count


def write_video(frames: Iterable[Image.Image], out: Path, fps: int = FPS) -> int:
    """Encode RGB frames of WIDTH x HEIGHT as a quickly encoded H.264 intermediate."""
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(fps)]
    args += ["-i", "-", *ENCODE, str(out)]
    raw = (frame.convert("RGB").tobytes() for frame in frames)
    return _encode(args, raw, f"ffmpeg could not encode {out.name}")


def overlay_video(
    video: Path, layers: Iterable[Image.Image], first: int, frames: int, out: Path, fps: int = FPS
) -> None:
    """`video` with RGBA `layers` (WIDTH x HEIGHT, mostly transparent) laid over its frames from
    frame `first` on, its last frame held to `frames` in all, as a quickly encoded H.264.

    ffmpeg decodes and encodes the video; only the layers pass through this process, so a line
    drawn over a long shot costs the line's frames here, not the shot's."""
    out.parent.mkdir(parents=True, exist_ok=True)
    held = f"tpad=stop_mode=clone:stop={frames}," if frames else ""
    graph = (
        f"[0:v]scale={WIDTH}:{HEIGHT},fps={fps},{held}trim=end_frame={frames}[base];"
        f"[1:v]setpts=PTS+{first}/({fps}*TB)[layer];"
        "[base][layer]overlay=eof_action=pass:format=yuv420[out]"
    )
    args = ["-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{WIDTH}x{HEIGHT}"]
    args += ["-r", str(fps), "-i", "-", "-filter_complex", graph, "-map", "[out]", *ENCODE]
    raw = (layer.tobytes() for layer in layers)
    _encode([*args, str(out)], raw, f"ffmpeg could not draw over {video.name}")


def read_video(path: Path) -> Iterator[Image.Image]:
    """Decode a video's frames as RGB images of WIDTH x HEIGHT."""
    args = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(path)]
    args += ["-vf", f"scale={WIDTH}:{HEIGHT}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        while len(chunk := proc.stdout.read(FRAME_BYTES)) == FRAME_BYTES:
            yield Image.frombytes("RGB", (WIDTH, HEIGHT), chunk)
    if proc.returncode not in (0, None):
        raise RenderError(f"ffmpeg could not decode {path.name}")


def read_audio(path: Path, rate: int = AUDIO_RATE) -> np.ndarray:
    """Any audio file as mono float32 samples at `rate`."""
    raw = run(["-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"])
    return np.frombuffer(raw, dtype=np.float32).copy()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)")


def probe(path: Path) -> dict[str, Any]:
    """Codecs, size and duration of a media file, from ffmpeg's own description of it."""
    done = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True)
    text = done.stderr.decode(errors="replace")
    info: dict[str, Any] = {}
    if match := _DURATION.search(text):
        hours, minutes, seconds = match.groups()
        info["duration"] = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if match := _VIDEO.search(text):
        info["video"] = match.group(1)
        info["width"], info["height"] = int(match.group(2)), int(match.group(3))
    if match := _AUDIO.search(text):
        info["audio"] = match.group(1)
    return info
