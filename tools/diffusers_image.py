"""draw_character on a diffusers pipeline (`DiffusersImage`).

A view of a character's sheet is drawn from its description (`sheets.sheet_description`) by the
pipeline's text form: a text-to-image pipeline as it is, an image-to-image one through its
text-to-image sibling, a text-to-video one by the first frame of its clip. The noise is seeded
from the character's seed, so the same request draws the same picture. The picture is rendered
at the view's shape (`width` a side for the square portrait, `width` x `height` for the figure)
and saved as a PNG of exactly the view's size. Settings and loading: `diffusers_pipeline`.
"""

from __future__ import annotations

from pathlib import Path

from writersroom.tools.base import ImageRequest, MediaResult
from writersroom.tools.diffusers_pipeline import DiffusersBackend
from writersroom.tools.sheets import AVOID, save_view, sheet_description, sheet_seed


class DiffusersImage(DiffusersBackend):
    """An ImageBackend over a diffusers pipeline (settings: `DiffusersBackend`); a picture
    costs `price_per_call`."""

    def draw(self, request: ImageRequest, out: Path) -> MediaResult:
        height = self.width if request.view == "portrait" else self.height
        pictures, _ = self.pictures(
            self.text_pipeline(),
            sheet_seed(request),
            prompt=sheet_description(request),
            negative_prompt=AVOID,
            width=self.width,
            height=height,
        )
        save_view(pictures[0], request.view, out)
        return MediaResult(
            path=str(out),
            duration_seconds=0.0,
            cost=self.price_per_call,
            meta={
                "model": self.model,
                "device": self._device,
                "pipeline": type(self._pipeline).__name__,
                "view": request.view,
                "seed": sheet_seed(request),
            },
        )
