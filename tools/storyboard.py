"""The embedded video backend: a storyboard drawn with PIL, 720x1280, one moving shot per call.

Each shot is the setting (inside or outside, day or night, the place's furniture), the
characters in frame drawn from their look and seed (and the notes their sheet's figure was
drawn with, as the sheet draws them), framed wide / medium / close-up, moved by
the camera (static, a pan across, a push-in), with the shot's visual prompt as a caption strip.
The face map of every frame (where each mouth is) goes with the result for lip-sync.
"""

from __future__ import annotations

import hashlib
import math
import random
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from writersroom.tools.base import FPS, HEIGHT, WIDTH, MediaResult, VideoRequest
from writersroom.tools.figures import RGB, appearance, draw_figure
from writersroom.tools.media import RenderError, write_video

PAN_WIDTH = int(WIDTH * 1.35)
PUSH_IN = 0.16  # how much closer the camera ends a push-in
# framing -> (figure height, where its head's top sits), both in frame heights
FRAMING = {"wide": (0.5, 0.38), "medium": (1.15, 0.2), "close-up": (2.5, 0.16)}


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    """The CJK + Latin font shipped by paperang-p2-fonts-cjk (WenQuanYi Micro Hei)."""
    return ImageFont.truetype(str(font_file()), size)


def font_file() -> Path:
    try:
        import paperang_p2_fonts_cjk
    except ImportError:
        raise RenderError(
            "the storyboard and subtitles need the CJK font: pip install 'writersroom[media]'"
        ) from None
    return Path(paperang_p2_fonts_cjk.__file__).parent / "fonts" / "wqy-microhei.ttc"


def wrapped(text: str, size: int, width: int, rows: int) -> list[str]:
    """`text` in at most `rows` lines no wider than `width` pixels in the font at `size`: broken
    at spaces, and anywhere within text written without them (Chinese, Japanese)."""
    face = font(size)
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if face.getlength(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:  # a word too wide for a line of its own, or a run without spaces
            if line and face.getlength(line + char) > width:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines[:rows]


def _seeded(text: str) -> random.Random:
    return random.Random(int(hashlib.sha256(text.encode()).hexdigest()[:12], 16))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def draw_setting(draw: ImageDraw.ImageDraw, size: tuple[int, int], setting: str, prompt: str):
    """The place: the same setting text always gives the same room or street."""
    width, height = size
    text = f"{setting} {prompt}".casefold()
    rng = _seeded(setting.casefold() or prompt.casefold())
    night = any(w in text for w in ("night", "dark", "dim", "midnight"))
    outside = setting.strip().upper().startswith("EXT") or "street" in text
    base = rng.choice([(84, 110, 140), (120, 98, 86), (96, 120, 104), (130, 120, 150)])
    top, bottom = (base, _mix(base, (230, 225, 215), 0.5))
    if night:
        top, bottom = _mix(base, (8, 10, 24), 0.8), _mix(base, (20, 20, 40), 0.6)
    horizon = int(height * 0.62)
    for y in range(0, horizon, 8):
        draw.rectangle((0, y, width, y + 8), fill=_mix(top, bottom, y / horizon))
    if outside:
        for _ in range(9):
            w, h = rng.randint(80, 220), rng.randint(200, 640)
            x = rng.randint(-40, width)
            tone = _mix(top, (20, 20, 30), 0.6)
            draw.rectangle((x, horizon - h, x + w, horizon), fill=tone)
            for wy in range(horizon - h + 20, horizon - 20, 44):
                for wx in range(x + 12, x + w - 20, 36):
                    lit = (250, 220, 140) if night and rng.random() < 0.5 else _mix(tone, top, 0.4)
                    draw.rectangle((wx, wy, wx + 16, wy + 22), fill=lit)
        draw.rectangle((0, horizon, width, height), fill=(60, 60, 66))
        return
    if any(w in text for w in ("archive", "library", "shelf", "shelves", "store", "files")):
        for x in range(20, width, 170):
            draw.rectangle((x, 120, x + 150, horizon), fill=_mix(base, (50, 34, 20), 0.6))
            for y in range(150, horizon - 20, 70):
                for bx in range(x + 8, x + 142, 14):
                    tint = _mix((150, 120, 80), (90, 60, 40), rng.random())
                    draw.rectangle((bx, y, bx + 10, y + 56), fill=tint)
    elif any(w in text for w in ("office", "boardroom", "tower", "glass", "window", "lobby")):
        sky = (20, 30, 60) if night else (170, 200, 230)
        for x in range(30, width, 160):
            draw.rectangle((x, 90, x + 140, horizon - 60), fill=sky, outline=(200, 200, 210))
        draw.rectangle((width * 0.2, horizon - 40, width * 0.8, horizon + 30), fill=(70, 50, 40))
    else:
        draw.rectangle((width * 0.6, 160, width * 0.85, 520), fill=(200, 210, 220))
        draw.rectangle(
            (width * 0.12, 260, width * 0.3, horizon), fill=_mix(base, (40, 30, 20), 0.5)
        )
    floor = _mix(base, (40, 34, 30), 0.65)
    draw.rectangle((0, horizon, width, height), fill=floor)


def draw_scene(request: VideoRequest, canvas_width: int) -> tuple[Image.Image, dict]:
    """The shot's still picture on a canvas (wider than the frame for a pan), with face map."""
    image = Image.new("RGB", (canvas_width, HEIGHT))
    draw = ImageDraw.Draw(image)
    draw_setting(draw, image.size, request.setting, request.visual_prompt)
    scale, head_top = FRAMING[request.framing]
    people = request.characters
    height = HEIGHT * scale * (1.0 if len(people) <= 1 else max(0.55, 1.4 / len(people)))
    faces = {}
    for index, person in enumerate(people):
        x = canvas_width * (index + 1) / (len(people) + 1)
        faces[person.name] = draw_figure(
            draw, appearance(person, person.notes), x, HEIGHT * head_top, height
        )
    return image, faces


def caption(request: VideoRequest) -> Image.Image:
    """The strip at the top: shot, framing, camera, and the visual prompt."""
    strip = Image.new("RGBA", (WIDTH, 190), (0, 0, 0, 0))
    draw = ImageDraw.Draw(strip)
    draw.rectangle((0, 0, WIDTH, 190), fill=(0, 0, 0, 150))
    head = f"SHOT {request.shot} · {request.framing.upper()} · {request.camera.upper()}"
    draw.text((24, 18), head, font=font(24), fill=(255, 210, 90))
    lines = wrapped(request.visual_prompt, 30, WIDTH - 48, 3)
    for row, line in enumerate(lines):
        draw.text((24, 58 + 40 * row), line, font=font(30), fill=(245, 245, 245))
    return strip


def camera_box(request: VideoRequest, canvas_width: int, t: float) -> tuple[float, ...]:
    """The part of the canvas the camera sees at time fraction t (0..1): x, y, width, height."""
    ease = 0.5 - 0.5 * math.cos(math.pi * t)
    if request.camera == "pan":
        return ((canvas_width - WIDTH) * ease, 0.0, float(WIDTH), float(HEIGHT))
    if request.camera == "push-in":
        zoom = 1 + PUSH_IN * ease
        w, h = WIDTH / zoom, HEIGHT / zoom
        return ((WIDTH - w) / 2, (HEIGHT - h) * 0.3, w, h)
    return (0.0, 0.0, float(WIDTH), float(HEIGHT))


class StoryboardVideo:
    """Draws each shot; free, offline, the same picture for the same request."""

    name = "storyboard"
    revision = 2  # 2: the caption wraps by its width, Chinese and Japanese included
    cpu_bound = True  # worth worker processes (see tools/executor.py)

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        canvas_width = PAN_WIDTH if request.camera == "pan" else WIDTH
        scene, faces = draw_scene(request, canvas_width)
        strip = caption(request)
        count = max(1, round(request.duration_seconds * FPS))
        boxes = [camera_box(request, canvas_width, i / max(1, count - 1)) for i in range(count)]

        def frames():
            still = None
            for x, y, w, h in boxes:
                if request.camera == "static" and still is not None:
                    yield still
                    continue
                frame = scene.crop((int(x), int(y), int(x + w), int(y + h)))
                if frame.size != (WIDTH, HEIGHT):
                    frame = frame.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
                frame.paste(strip, (0, 0), strip)
                still = frame
                yield frame

        write_video(frames(), out)
        face_map = {
            name: {
                "skin": face["skin"],
                "mouth": [
                    [
                        round((face["mouth"][0] - x) * WIDTH / w, 1),
                        round((face["mouth"][1] - y) * HEIGHT / h, 1),
                        round(face["mouth"][2] * WIDTH / w, 1),
                    ]
                    for x, y, w, h in boxes
                ],
            }
            for name, face in faces.items()
        }
        return MediaResult(
            path=out.name,
            duration_seconds=count / FPS,
            meta={"fps": FPS, "frames": count, "faces": face_map},
        )
