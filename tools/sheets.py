"""Character reference sheets: a front portrait and a full figure of each character, made once
per series by the configured image backend and kept in series memory by content hash. Video
backends that take reference images are given them for every shot the character is in, so a
character looks the same from shot to shot.

A person may ask for a sheet to be made again with notes ("older, grey streak in her hair"):
`remake` hands them to the backend (`ImageRequest.notes`) and keeps them with each view, so a
view whose file is lost later is drawn again with the same notes.

The embedded image backend draws the storyboard's figure of the character (the same look and
seed as its shots) on a plain ground, with what the notes name drawn over the look. Picture
models (Kling, DashScope's Wan, a diffusers pipeline) are given `sheet_description` and `AVOID`,
seeded from the character's seed where they take one, and their picture is saved at the view's
size by `save_view`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import sqlite_utils
from PIL import Image, ImageDraw, ImageOps

from writersroom.tools.base import (
    WIDTH,
    CharacterLook,
    ImageRequest,
    MediaResult,
    Reference,
    View,
)
from writersroom.tools.cache import file_hash
from writersroom.tools.figures import appearance, draw_figure
from writersroom.tools.storyboard import font, wrapped

VIEWS: tuple[View, ...] = ("portrait", "figure")
SIZES = {"portrait": (WIDTH, WIDTH), "figure": (WIDTH, 1280)}
# what a picture model is asked to draw for each view, and to leave out of every view
FRAMES = {
    "portrait": "front-facing head-and-shoulders portrait, looking at the camera",
    "figure": "full-length figure standing facing the camera, head to feet in frame",
}
AVOID = "text, watermark, more than one person, cropped head, blurry, deformed hands"


def sheet_description(request: ImageRequest) -> str:
    """The text a picture model is given for a view of a character's sheet: who, their fixed
    look, the person's notes when the sheet is remade, the view, a plain studio ground (what
    matters first: services cut a long prompt at their limit)."""
    character = request.character
    parts = [f"Character reference sheet of {character.name}: {character.look.strip().rstrip('.')}"]
    if request.notes.strip():
        parts.append(request.notes.strip().rstrip("."))
    parts.append(FRAMES[request.view])
    parts.append("plain light grey studio background, even soft light, photorealistic")
    return ". ".join(parts) + "."


def sheet_seed(request: ImageRequest) -> int:
    """The character's series seed, as picture models take it (below 2**31)."""
    return request.character.seed % (2**31)


def save_view(picture: Image.Image, view: View, out: Path) -> None:
    """Save a picture model's picture as a view's PNG: scaled to cover the view's size and
    centre-cropped to it."""
    fitted = ImageOps.fit(picture.convert("RGB"), SIZES[view], Image.Resampling.LANCZOS)
    out.parent.mkdir(parents=True, exist_ok=True)
    fitted.save(out, format="PNG")


class DrawnSheet:
    """draw_character, embedded: the storyboard's drawing of the character."""

    name = "storyboard"

    def draw(self, request: ImageRequest, out: Path) -> MediaResult:
        width, height = SIZES[request.view]
        image = Image.new("RGB", (width, height), (236, 232, 224))
        draw = ImageDraw.Draw(image)
        look = appearance(request.character, request.notes)
        if request.view == "portrait":  # head and shoulders, filling the square
            draw_figure(draw, look, width / 2, height * 0.12, height * 2.6)
        else:
            draw_figure(draw, look, width / 2, height * 0.08, height * 0.84)
        label = f"{request.character.name} · {request.view}"
        for row, text in enumerate(wrapped(label, 30, width - 40, 2)):
            draw.text((20, 16 + row * 36), text, fill=(40, 40, 48), font=font(30))
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(out, format="PNG")
        return MediaResult(path=str(out), duration_seconds=0.0, meta={"view": request.view})


def with_sheets(
    db: sqlite_utils.Database, looks: list[CharacterLook], backend: Any, render: Path
) -> list[CharacterLook]:
    """`looks` with their reference sheets: made the first time (or when a file is gone) into
    `render/characters/`, then kept in the `characters` table by file and content hash."""
    return [_sheeted(db, look, backend, render, (), None)[0] for look in looks]


def remake(
    db: sqlite_utils.Database,
    look: CharacterLook,
    backend: Any,
    render: Path,
    notes: str | None = None,
    views: Collection[View] = VIEWS,
) -> list[Reference]:
    """Draw `views` of the character's sheet again, and any view it lacks, with `notes` (None:
    each view with the notes it was drawn with). Returns the views drawn."""
    sheeted, drawn = _sheeted(db, look, backend, render, views, notes)
    return [reference for reference in sheeted.references if reference.view in drawn]


def _sheeted(
    db: sqlite_utils.Database,
    look: CharacterLook,
    backend: Any,
    render: Path,
    again: Collection[View],
    notes: str | None,
) -> tuple[CharacterLook, list[View]]:
    """`look` with its sheet's references, drawing the views in `again` and those without a
    file; the sheet is kept as `{view: {file, sha256, notes}}` in the character's row."""
    row = next(db.table("characters").rows_where("name = ?", [look.name]), {})
    sheet = json.loads(row.get("sheet") or "{}")
    references, drawn = [], []
    for view in VIEWS:
        entry = sheet.get(view)
        target = render / "characters" / f"{slug(look.name)}-{view}.png"
        if view in again or entry is None or not (render / entry["file"]).is_file():
            asked = (entry or {}).get("notes", "") if notes is None else notes
            drawing = target.with_suffix(".new.png")  # the sheet in use stays until it is done
            backend.draw(ImageRequest(character=look, view=view, notes=asked), drawing)
            drawing.replace(target)
            entry = {
                "file": target.relative_to(render).as_posix(),
                "sha256": file_hash(target),
                "notes": asked,
            }
            sheet[view] = entry
            drawn.append(view)
            with db.conn:
                db.table("characters").update(
                    look.name, {"sheet": json.dumps(sheet, ensure_ascii=False)}
                )
        path = str(render / entry["file"])
        references.append(Reference(view=view, sha256=entry["sha256"], path=path))
    return look.model_copy(update={"references": references}), drawn


def slug(name: str) -> str:
    """A file name for a character: letters and digits of any script, the rest as dashes."""
    return re.sub(r"[^\w]+", "-", name.casefold()).strip("-") or "character"
