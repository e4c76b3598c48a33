"""The cut: shots in order after a title card, dialogue placed on its lines' times, subtitles
burned in with a CJK + Latin font, H.264 + AAC at 720x1280, and an .srt beside the video.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pydantic import BaseModel, Field

from writersroom.plain import stripped
from writersroom.tools.base import FPS, HEIGHT, WIDTH, MediaResult
from writersroom.tools.media import AUDIO_RATE, read_audio, run, write_wav
from writersroom.tools.storyboard import font, font_file, wrapped

SUBTITLE_STYLE = (
    "FontName=WenQuanYi Micro Hei,FontSize=11,PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,"
    "BorderStyle=1,Outline=1.2,Shadow=0,MarginV=34,WrapStyle=0"
)


class CutLine(BaseModel):
    audio: str  # relative to the render folder
    start_seconds: float = Field(ge=0)  # within its shot
    duration_seconds: float = Field(gt=0)
    speaker: str
    text: str


class CutShot(BaseModel):
    shot: int
    video: str  # relative to the render folder
    duration_seconds: float = Field(gt=0)
    lines: list[CutLine] = Field(default_factory=list)


class AssembleRequest(BaseModel):
    """assemble: the episode's shots, in order, into one video with sound and subtitles."""

    series: str
    title: str
    episode: int
    title_seconds: float = Field(default=1.5, gt=0, le=10)
    shots: list[CutShot] = Field(min_length=1)


class Cue(BaseModel):
    start: float
    end: float
    text: str


def cues(request: AssembleRequest) -> list[Cue]:
    """The subtitles: every dialogue line at its time in the finished episode, in order."""
    found, clock = [], request.title_seconds
    for shot in request.shots:
        for line in shot.lines:
            start = clock + line.start_seconds
            found.append(Cue(start=start, end=start + line.duration_seconds, text=line.text))
        clock += shot.duration_seconds
    return found


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def _cue_text(text: str) -> str:
    """A cue's text as subtitles may carry it: no control characters, no blank line (which
    would end the cue)."""
    return "\n".join(line for line in stripped(text).splitlines() if line.strip())


def srt(items: list[Cue]) -> str:
    return "".join(
        f"{n}\n{_stamp(c.start)} --> {_stamp(c.end)}\n{_cue_text(c.text)}\n\n"
        for n, c in enumerate(items, 1)
    )


def title_card(request: AssembleRequest) -> Image.Image:
    card = Image.new("RGB", (WIDTH, HEIGHT), (12, 12, 18))
    draw = ImageDraw.Draw(card)
    y = HEIGHT * 0.36
    for line in wrapped(request.series, 64, WIDTH - 80, 3):
        draw.text((WIDTH / 2, y), line, font=font(64), fill=(255, 214, 102), anchor="mm")
        y += 80
    draw.line((WIDTH * 0.3, y, WIDTH * 0.7, y), fill=(120, 120, 130), width=2)
    y += 60
    draw.text(
        (WIDTH / 2, y),
        f"Episode {request.episode}",
        font=font(36),
        fill=(235, 235, 235),
        anchor="mm",
    )
    for line in wrapped(request.title, 40, WIDTH - 80, 2):
        y += 56
        draw.text((WIDTH / 2, y), line, font=font(40), fill=(235, 235, 235), anchor="mm")
    return card


def _escape(path: Path) -> str:
    """A path as a value inside an ffmpeg filter argument."""
    return str(path).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")


class FfmpegAssembler:
    """The bundled ffmpeg: one pass from the shots, the voices and the subtitles to the cut."""

    name = "ffmpeg"
    revision = 2  # 2: the title card wraps by its width, Chinese and Japanese included

    def assemble(self, request: AssembleRequest, root: Path, out: Path) -> MediaResult:
        work = out.parent
        card, subtitles, mix = (work / f"{out.stem}.{n}" for n in ("card.png", "srt", "wav"))
        title_card(request).save(card)
        subtitles.write_text(srt(cues(request)), encoding="utf-8")
        total = request.title_seconds + sum(s.duration_seconds for s in request.shots)
        audio = np.zeros(round(total * AUDIO_RATE) + 1, np.float32)
        clock = request.title_seconds
        for shot in request.shots:
            for line in shot.lines:
                samples = read_audio(root / line.audio)
                at = round((clock + line.start_seconds) * AUDIO_RATE)
                samples = samples[: max(0, len(audio) - at)]
                audio[at : at + len(samples)] += samples
            clock += shot.duration_seconds
        write_wav(mix, audio, AUDIO_RATE)
        inputs = [
            "-loop",
            "1",
            "-framerate",
            str(FPS),
            "-t",
            f"{request.title_seconds}",
            "-i",
            str(card),
        ]
        parts = [f"[0:v]fps={FPS},format=yuv420p,setsar=1[c]"]
        labels = ["[c]"]
        for index, shot in enumerate(request.shots, 1):
            inputs += ["-i", str(root / shot.video)]
            parts.append(
                f"[{index}:v]scale={WIDTH}:{HEIGHT},fps={FPS},format=yuv420p,setsar=1,"
                f"tpad=stop_mode=clone:stop_duration={shot.duration_seconds},"
                f"trim=duration={shot.duration_seconds},setpts=PTS-STARTPTS[s{index}]"
            )
            labels.append(f"[s{index}]")
        inputs += ["-i", str(mix)]
        parts.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[cut]")
        parts.append(
            f"[cut]subtitles=filename='{_escape(subtitles)}':fontsdir='{_escape(font_file().parent)}'"
            f":force_style='{SUBTITLE_STYLE}'[v]"
        )
        run(
            [
                *inputs,
                "-filter_complex",
                ";".join(parts),
                "-map",
                "[v]",
                "-map",
                f"{len(request.shots) + 1}:a",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-ar",
                str(AUDIO_RATE),
                "-t",
                f"{total:.3f}",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(out),
            ]
        )
        for temporary in (card, subtitles, mix):
            temporary.unlink(missing_ok=True)
        return MediaResult(
            path=out.name, duration_seconds=round(total, 3), meta={"srt": srt(cues(request))}
        )
