"""draw_character on DashScope's Wan text-to-image (`WanImage`).

A view of a character's sheet is one `text2image/image-synthesis` task (submitted with
`X-DashScope-Async: enable`, then polled at `GET /tasks/{id}`): the sheet's description and what
to avoid, the view's size (720*720 or 720*1280), one picture, the character's seed. The picture
is downloaded and saved as a PNG of exactly the view's size. Key, endpoint, prices and time
limits are read as for the other DashScope backends (`dashscope_media.DashScopeBackend`); a
picture costs `price_per_call`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from dashscope.aigc.image_synthesis import ImageSynthesis
from PIL import Image, UnidentifiedImageError

from writersroom.tools.base import ImageRequest, MediaResult
from writersroom.tools.clips import download
from writersroom.tools.dashscope_media import DashScopeBackend, reason
from writersroom.tools.media import RenderError
from writersroom.tools.sheets import AVOID, SIZES, save_view, sheet_description, sheet_seed


class WanImage(DashScopeBackend):
    """draw_character on a Wan text-to-image model served at `text2image/image-synthesis`
    (wan2.2-t2i-flash, wan2.2-t2i-plus, wan2.1-t2i-turbo...: 512 to 1440 pixels a side)."""

    def __init__(
        self, model: str = "wan2.2-t2i-flash", *, prompt_extend: bool = False, **settings: Any
    ) -> None:
        super().__init__(model, **settings)
        self.prompt_extend = prompt_extend

    def draw(self, request: ImageRequest, out: Path) -> MediaResult:
        key = self.key()
        width, height = SIZES[request.view]
        with self.calling():
            task = self.submitted(
                ImageSynthesis.async_call(
                    model=self.model,
                    prompt=sheet_description(request),
                    negative_prompt=AVOID,
                    size=f"{width}*{height}",
                    n=1,
                    seed=sheet_seed(request),
                    prompt_extend=self.prompt_extend,
                    api_key=key,
                    base_address=self.base_url,
                )
            )
        output, _ = self.waited(ImageSynthesis, task, key)
        made = (output.get("results") or [{}])[0]  # a picture that failed has a code instead
        if not made.get("url"):
            raise RenderError(
                f"{self.label}: task {output['task_id']} made no picture: {reason(made)}"
            )
        with tempfile.TemporaryDirectory(prefix="wr-wan-image-") as scratch:
            picture = Path(scratch) / "picture"
            download(made["url"], picture, self.download_seconds)
            try:
                image = Image.open(picture)
            except UnidentifiedImageError as exc:
                raise RenderError(f"{self.label}: the picture downloaded is not an image") from exc
            with image:
                save_view(image, request.view, out)
        return MediaResult(
            path=str(out),
            duration_seconds=0.0,
            cost=self.cost(0),
            meta={"model": self.model, "task_id": output["task_id"], "view": request.view},
        )
