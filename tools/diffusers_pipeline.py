"""What the diffusers backends share: their settings, loading the pipeline, and running it.

The pipeline is loaded from a local folder or a model id with `from_pretrained`; nothing is
downloaded unless the settings allow it (`allow_download = true`). It runs on the GPU when torch
sees one, on the CPU otherwise. The video and the image backend are both named "diffusers", so
they are built from the same `[production.options.diffusers]` table and draw with the same
pipeline.

Needs the optional extra: `pip install torch==2.13.0` first, then `pip install
'writersroom[diffusers]'`.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from PIL import Image

from writersroom.errors import ConfigError

EXTRA = "pip install torch==2.13.0 && pip install 'writersroom[diffusers]'"


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


def takes_image(pipeline: Any) -> bool:
    """Whether a pipeline starts from a picture (image-to-image, image-to-video)."""
    return "image" in inspect.signature(pipeline.__call__).parameters


class DiffusersBackend:
    """The settings of a diffusers pipeline and the pipeline, loaded on first use.

    Args:
        model: a local pipeline folder (as written by `save_pretrained`) or a model id.
        device: "auto" (CUDA when available, else CPU), or a torch device such as "cuda:1".
        allow_download: let `from_pretrained` fetch a model id that is not cached locally.
        steps: denoising steps per picture or clip.
        guidance_scale: classifier-free guidance strength, for a pipeline that takes it (Stable
            Video Diffusion ramps its own over the clip).
        width, height: the size the pipeline renders a shot at (then scaled to 720x1280); a
            square picture is rendered `width` a side.
        num_frames: frames asked of a video pipeline.
        travel: how far a shot's pan or push-in moves, as a fraction of the frame.
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
        self._text_pipeline: Any = None
        self._device = ""

    def __getstate__(self) -> dict[str, Any]:
        """The backend as sent to another process (a Ray task): its settings, not the loaded
        pipeline, which the task loads where it runs."""
        return self.__dict__ | {"_pipeline": None, "_text_pipeline": None, "_device": ""}

    def pipeline(self) -> Any:
        """The configured pipeline, loaded the first time it is asked for."""
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
                self.model, torch_dtype=dtype, local_files_only=not self.allow_download
            )
        except (OSError, ValueError) as exc:
            hint = "" if self.allow_download else " (downloads are off: set allow_download = true)"
            detail = " ".join(str(exc).split())[:200]
            raise ConfigError(
                f"cannot load the diffusers pipeline {self.model!r}{hint}: {detail}"
            ) from exc
        pipeline = pipeline.to(device)
        pipeline.set_progress_bar_config(disable=True)
        self._pipeline, self._device = pipeline, device
        return pipeline

    def text_pipeline(self) -> Any:
        """The pipeline that draws from text alone: the configured one, or, when that one
        starts from a picture, its text-to-image sibling on the same weights (`from_pipe`)."""
        pipeline = self.pipeline()
        if not takes_image(pipeline):
            return pipeline
        if self._text_pipeline is None:
            from diffusers import AutoPipelineForText2Image

            try:
                self._text_pipeline = AutoPipelineForText2Image.from_pipe(pipeline)
            except ValueError as exc:
                raise ConfigError(
                    f"the diffusers pipeline {self.model!r} ({type(pipeline).__name__}) needs a "
                    "picture to start from and has no text-to-image form: give every shot a "
                    "character with a reference sheet, or use a text-to-image or text-to-video "
                    "pipeline"
                ) from exc
            self._text_pipeline.set_progress_bar_config(disable=True)
        return self._text_pipeline

    def pictures(self, pipeline: Any, seed: int, **asked: Any) -> tuple[list[Image.Image], bool]:
        """Run `pipeline` with the settings and the `asked` arguments it takes (prompt, size,
        a picture to start from), its noise seeded by `seed`: its pictures, and whether they
        are a clip's frames (a pipeline that takes `num_frames`)."""
        import torch

        accepted = inspect.signature(pipeline.__call__).parameters
        is_clip = "num_frames" in accepted
        arguments: dict[str, Any] = {
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "generator": torch.Generator(device="cpu").manual_seed(seed),
            "output_type": "np",
            "num_frames": self.num_frames,
            **asked,
        }
        with torch.inference_mode():
            result = pipeline(**{k: v for k, v in arguments.items() if k in accepted})
        return to_images(result.frames[0] if is_clip else result.images[:1]), is_clip
