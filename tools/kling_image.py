"""draw_character on Kling: a view of a character's reference sheet as a Kling image task.

The task (`POST /v1/images/generations`, one image, 1:1 for the portrait and 9:16 for the
figure) is given the sheet's description (`sheets.sheet_description`: the character's look, the
view and any notes the sheet is made again with) and polled
(`/v1/images/generations/{task_id}`) until it succeeds; its image is downloaded and fitted
(scaled to cover, centre-cropped) to the view's size as a PNG.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from writersroom.tools.base import ImageRequest, MediaResult
from writersroom.tools.clips import download
from writersroom.tools.kling import Kling, own
from writersroom.tools.media import RenderError
from writersroom.tools.sheets import AVOID, save_view, sheet_description

SUBMIT = "/v1/images/generations"
RATIOS = {"portrait": "1:1", "figure": "9:16"}


class KlingImage(Kling):
    def __init__(
        self, *, image_model: str = "kling-v1", negative_prompt: str = AVOID, **settings: Any
    ) -> None:
        self.model, self.negative_prompt = image_model, negative_prompt
        super().__init__(image_model, **own("image", settings))

    def draw(self, request: ImageRequest, out: Path) -> MediaResult:
        body = {
            "model_name": self.model,
            "prompt": sheet_description(request),
            "negative_prompt": self.negative_prompt,
            "aspect_ratio": RATIOS[request.view],
            "n": 1,
        }
        task_id = self.start(SUBMIT, body)
        done = self.finish(lambda: self.task(f"{SUBMIT}/{task_id}", "images"), task_id)
        with tempfile.TemporaryDirectory(prefix="wr-kling-image-") as scratch:
            drawn = Path(scratch) / "drawn"
            download(done.url, drawn, self.download_seconds)
            try:
                with Image.open(drawn) as image:
                    save_view(image, request.view, out)
            except UnidentifiedImageError as exc:
                raise RenderError(f"{self.client.label}: task {task_id} made no image") from exc
        meta = {"view": request.view, "model": self.model, "task_id": task_id, **done.meta}
        return MediaResult(path=str(out), duration_seconds=0.0, meta=meta)
