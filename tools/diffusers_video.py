"""generate_video on a diffusers pipeline: text-to-video, or text-to-image plus a camera move.

The pipeline is loaded from a local folder or a model id with `from_pretrained`; nothing is
downloaded unless the backend's settings allow it (`allow_download = true`). It runs on the GPU
when torch sees one, on the CPU otherwise. A text-to-video pipeline (one whose call takes
`num_frames`) gives the shot's frames; a text-to-image pipeline gives one picture that the shot's
camera move (static / pan / push-in) animates. Either way the frames are stretched over the
shot's duration and written as a 720x1280, 24 fps H.264 mp4 with the bundled ffmpeg.

Needs the optional extra: `pip install torch==2.13.0` first, then `pip install
'writersroom[diffusers]'`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from writersroom.errors import ConfigError
from writersroom.tools.base import FPS, HEIGHT, WIDTH, MediaResult, VideoRequest
from writersroom.tools.clips import shot_description, shot_seed
from writersroom.tools.media import write_video

ASPECT = WIDTH / HEIGHT
EXTRA = "pip install torch==2.13.0 && pip install 'writersroom[diffusers]'"


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


def to_images(frames: Any) -> list[Image.Image]:
    """A pipeline's pictures (PIL images, or float arrays in 0..1) as RGB PIL images."""
    images = []
    for frame in frames:
        if isinstance(frame, Image.Image):
            images.append(frame.convert("RGB"))
        else:
            array = np.clip(np.asarray(frame, dtype=np.float32) * 255 + 0.5, 0, 255)
            images.append(Image.fromarray(array.astype(np.uint8)).convert("RGB"))
    return images


class DiffusersVideo:
    """A VideoBackend over a diffusers text-to-video or text-to-image pipeline.

    Args:
        model: a local pipeline folder (as written by `save_pretrained`) or a model id.
        device: "auto" (CUDA when available, else CPU), or a torch device such as "cuda:1".
        allow_download: let `from_pretrained` fetch a model id that is not cached locally.
        steps: denoising steps per picture or clip.
        guidance_scale: classifier-free guidance strength.
        width, height: the size the pipeline renders at (then scaled to 720x1280).
        num_frames: frames asked of a text-to-video pipeline.
        travel: how far a pan or push-in moves, as a fraction of the frame.
        price_per_call, price_per_second: the cost of a call (e.g. rented GPU time).
    """

    name = "diffusers"

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        allow_download: bool = False,
        steps: int = 25,
        guidance_scale: float = 7.5,
        width: int = 432,
        height: int = 768,
        num_frames: int = 16,
        travel: float = 0.2,
        price_per_call: float = 0.0,
        price_per_second: float = 0.0,
    ) -> None:
        if not model:
            raise ConfigError("the diffusers backend needs `model`: a local folder or a model id")
        self.model = model
        self.device = device
        self.allow_download = allow_download
        self.steps = steps
        self.guidance_scale = guidance_scale
        self.width = width
        self.height = height
        self.num_frames = num_frames
        self.travel = travel
        self.price_per_call = price_per_call
        self.price_per_second = price_per_second
        self._pipeline: Any = None
        self._device = ""

    def _load(self) -> Any:
        if self._pipeline is not None:
            return self._pipeline
        try:
            import torch
            from diffusers import DiffusionPipeline
        except ImportError as exc:
            raise ConfigError(f"the diffusers backend needs its extra: {EXTRA}") from exc
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        try:
            pipeline = DiffusionPipeline.from_pretrained(
                self.model, local_files_only=not self.allow_download
            )
        except (OSError, ValueError) as exc:
            hint = "" if self.allow_download else " (downloads are off: set allow_download = true)"
            detail = " ".join(str(exc).split())[:200]
            raise ConfigError(
                f"cannot load the diffusers pipeline {self.model!r}{hint}: {detail}"
            ) from exc
        pipeline = pipeline.to(device, dtype)
        pipeline.set_progress_bar_config(disable=True)
        self._pipeline, self._device = pipeline, device
        return pipeline

    def render_stills(self, request: VideoRequest) -> tuple[list[Image.Image], bool]:
        """The pipeline's pictures for a shot, and whether they are a clip (text-to-video)."""
        pipeline = self._load()
        import torch

        accepted = inspect.signature(pipeline.__call__).parameters
        is_clip = "num_frames" in accepted
        arguments: dict[str, Any] = {
            "prompt": shot_description(request),
            "height": self.height,
            "width": self.width,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "generator": torch.Generator(device="cpu").manual_seed(shot_seed(request)),
            "output_type": "np",
            "num_frames": self.num_frames,
        }
        with torch.inference_mode():
            result = pipeline(**{k: v for k, v in arguments.items() if k in accepted})
        pictures = result.frames[0] if is_clip else result.images[:1]
        return to_images(pictures), is_clip

    def generate(self, request: VideoRequest, out: Path) -> MediaResult:
        """Render the shot and write it to `out` as a 720x1280 mp4 of the shot's duration."""
        stills, is_clip = self.render_stills(request)
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
                "kind": "text-to-video" if is_clip else "text-to-image",
                "pictures": len(stills),
                "seed": shot_seed(request),
            },
        )
