"""generate_video on a diffusers pipeline: text-to-video, image-to-video from a character's
sheet, or one picture (text-to-image, image-to-image) plus a camera move.

A shot with characters that have reference sheets starts from the full figure of the first of them
when the pipeline takes a picture (`image`: an image-to-video or image-to-image pipeline), so
the shot looks like the sheet; other shots are drawn from their text (an image-to-image pipeline
through its text-to-image form; an image-to-video pipeline with no text prompt, such as Stable
Video Diffusion, has none: such a shot is a ConfigError there). A video pipeline (one whose call
takes `num_frames`) gives the shot's frames; a picture pipeline gives one picture that the shot's
camera move (static / pan / push-in) animates. Either way the frames are stretched over the
shot's duration and written as a 720x1280, 24 fps H.264 mp4 with the bundled ffmpeg. Settings and
loading: `diffusers_pipeline`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from PIL import Image, ImageOps

from writersroom.tools.base import FPS, HEIGHT, WIDTH, MediaResult, VideoRequest
from writersroom.tools.clips import first_frame, shot_description, shot_seed
from writersroom.tools.diffusers_pipeline import DiffusersBackend, takes_image
from writersroom.tools.media import write_video

ASPECT = WIDTH / HEIGHT


def camera_box(
    size: tuple[int, int], camera: str, t: float, travel: float
) -> tuple[float, float, float, float]:
    """The part of a picture of `size` seen at time `t` (0..1) of a shot.

    The frame is the largest 9:16 window of the picture; "push-in" shrinks it towards the centre
    by `travel` over the shot, "pan" slides a window `travel` smaller from left to right.
    """
    width, height = size
    tall = width / ASPECT <= height
    base_w, base_h = (width, width / ASPECT) if tall else (height * ASPECT, height)
    left, top = (width - base_w) / 2, (height - base_h) / 2
    if camera == "push-in":
        scale = 1 - travel * t
        x0, y0 = left + base_w * (1 - scale) / 2, top + base_h * (1 - scale) / 2
    elif camera == "pan":
        scale = 1 - travel
        x0, y0 = left + base_w * (1 - scale) * t, top + base_h * (1 - scale) / 2
    else:
        scale, x0, y0 = 1.0, left, top
    return (x0, y0, x0 + base_w * scale, y0 + base_h * scale)


def shot_frames(
    stills: Sequence[Image.Image], camera: str, duration: float, travel: float = 0.2
) -> Iterator[Image.Image]:
    """720x1280 frames for `duration` seconds at 24 fps: the generated pictures spread evenly
    over the shot, each seen through the camera's window at that moment."""
    total = max(1, round(duration * FPS))
    for index in range(total):
        t = index / (total - 1) if total > 1 else 0.0
        still = stills[min(len(stills) - 1, index * len(stills) // total)]
        box = camera_box(still.size, camera, t, travel)
        yield still.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC, box=box)


class DiffusersVideo(DiffusersBackend):
    """A VideoBackend over a diffusers video or picture pipeline (settings: `DiffusersBackend`)."""

    def render_stills(self, request: VideoRequest) -> tuple[list[Image.Image], str]:
        """The pipeline's pictures for a shot, and how they were made ("image-to-video",
        "image-to-image", "text-to-video" or "text-to-image")."""
        pipeline, seed = self.pipeline(), shot_seed(request)
        asked = {"prompt": shot_description(request), "height": self.height, "width": self.width}
        picture = first_frame(request)
        if takes_image(pipeline) and picture:
            with Image.open(picture) as portrait:
                start = ImageOps.fit(
                    portrait.convert("RGB"), (self.width, self.height), Image.Resampling.LANCZOS
                )
            stills, is_clip = self.pictures(pipeline, seed, image=start, **asked)
            return stills, "image-to-video" if is_clip else "image-to-image"
        stills, is_clip = self.pictures(self.text_pipeline(), seed, **asked)
        return stills, "text-to-video" if is_clip else "text-to-image"

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        """Render the shot and write it to `out` as a 720x1280 mp4 of the shot's duration."""
        stills, kind = self.render_stills(request)
        frames = shot_frames(stills, request.camera, request.duration_seconds, self.travel)
        count = write_video(frames, out)
        duration = count / FPS
        return MediaResult(
            path=str(out),
            duration_seconds=duration,
            cost=self.price_per_call + self.price_per_second * duration,
            meta={
                "model": self.model,
                "device": self._device,
                "pipeline": type(self._pipeline).__name__,
                "kind": kind,
                "pictures": len(stills),
                "seed": shot_seed(request),
            },
        )
