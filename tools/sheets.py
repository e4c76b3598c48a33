"""Character reference sheets: a front portrait and a full figure of each character, made once
per series by the configured image backend and kept in series memory by content hash. Video
backends that take reference images are given them for every shot the character is in, so a
character looks the same from shot to shot.

A person may ask for a sheet to be made again with notes ("older, grey streak in her hair"):
`remake` hands them to the backend (`ImageRequest.notes`) and keeps them with each view, so a
view whose file is lost later is asked again with the same notes. The shots draw the character
with the notes of the sheet's figure (`CharacterLook.notes`, filled by `sheeted`).

Every view drawn is a call through the render cache (tool `draw_character`, keyed by the
backend, the character's look and seed, the view and the notes) and so one row of the cost
ledger, in the run of the episode whose production or redraw drew it, at shot 0 (no shot).
`[production.prices.image]` is a price per picture; without one a view costs what the backend
reports. A lost file is put back from the cache, unpaid; a redraw is always drawn and paid anew.

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
from writersroom.tools.cache import Call, RenderCache, file_hash, identity
from writersroom.tools.figures import appearance, draw_figure
from writersroom.tools.storyboard import font, wrapped

TOOL = "draw_character"
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
    cache: RenderCache, looks: list[CharacterLook], backend: Any, price: float | None
) -> list[CharacterLook]:
    """`looks` with their reference sheets (`sheeted`): a view is drawn the first time, and one
    whose file is gone is put back from the render cache (or drawn again with its notes)."""
    for look in looks:
        for request in _lacking(cache, look):
            _draw(cache, request, backend, price, again=False)
    return [sheeted(cache.db, look, cache.root) for look in looks]


def remake(
    cache: RenderCache,
    look: CharacterLook,
    backend: Any,
    price: float | None,
    notes: str | None = None,
    views: Collection[View] = VIEWS,
) -> list[Reference]:
    """Draw `views` of the character's sheet again (paid again, never taken from the cache),
    and any view it lacks, with `notes` (None: each view with the notes it was drawn with).
    Returns the views drawn."""
    sheet = _sheet(cache.db, look.name)
    lacking = {request.view for request in _lacking(cache, look)}
    drawn = [view for view in VIEWS if view in views or view in lacking]
    for view in drawn:
        asked = sheet.get(view, {}).get("notes", "") if notes is None else notes
        _draw(cache, _request(look, view, asked), backend, price, again=view in views)
    sheet_now = sheeted(cache.db, look, cache.root)
    return [reference for reference in sheet_now.references if reference.view in drawn]


def to_draw(cache: RenderCache, looks: list[CharacterLook], backend: Any) -> list[ImageRequest]:
    """The views `with_sheets` would pay for now: those lacking a file that the render cache
    cannot put back."""
    return [
        request
        for look in looks
        for request in _lacking(cache, look)
        if not cache.has(_call(cache, request, backend).key)
    ]


def sheeted(db: sqlite_utils.Database, look: CharacterLook, render: Path) -> CharacterLook:
    """`look` with the references of its sheet's views on file, and the notes its figure was
    drawn with: the shots draw the whole figure, so they show what the sheet's figure shows."""
    sheet = _sheet(db, look.name)
    references = [
        Reference(view=view, sha256=sheet[view]["sha256"], path=str(render / sheet[view]["file"]))
        for view in VIEWS
        if view in sheet and (render / sheet[view]["file"]).is_file()
    ]
    notes = sheet.get("figure", {}).get("notes", "")
    return look.model_copy(update={"references": references, "notes": notes})


def _sheet(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    """The character's sheet as kept: `{view: {file, sha256, notes}}`."""
    row = next(db.table("characters").rows_where("name = ?", [name]), {})
    sheet: dict[str, Any] = json.loads(row.get("sheet") or "{}")
    return sheet


def _lacking(cache: RenderCache, look: CharacterLook) -> list[ImageRequest]:
    """The views of the character's sheet never drawn or whose file is gone, each asked with
    the notes it was drawn with."""
    sheet = _sheet(cache.db, look.name)
    return [
        _request(look, view, sheet.get(view, {}).get("notes", ""))
        for view in VIEWS
        if view not in sheet or not (cache.root / sheet[view]["file"]).is_file()
    ]


def _request(look: CharacterLook, view: View, notes: str) -> ImageRequest:
    """A view asked of the image backend: the character's look and seed alone (not the sheet
    it has, nor its notes), so that the request, and its render key, names only what is drawn."""
    bare = look.model_copy(update={"references": [], "notes": ""})
    return ImageRequest(character=bare, view=view, notes=notes)


def _call(cache: RenderCache, request: ImageRequest, backend: Any) -> Call:
    """A view as the ledger records it: tool draw_character, shot 0 (no shot: the cast's
    sheets, as `writersroom cost` shows them), its file under the render folder."""
    name, view = request.character.name, request.view
    key = cache.key(TOOL, identity(backend), request, {})
    relative = f"characters/{slug(name)}-{view}.png"
    return Call(TOOL, backend.name, key, 0, f"sheet {name} {view}", relative)


def _draw(
    cache: RenderCache, request: ImageRequest, backend: Any, price: float | None, again: bool
) -> None:
    """Draw one view through the render cache (its ledger row in `cache`'s run, costing
    `price` per picture where given, else what the backend reports) and keep it in the sheet.
    The sheet in use stays until the new picture is done."""
    call = _call(cache, request, backend)
    target = cache.root / call.relative

    def make(out: Path) -> MediaResult:
        made: MediaResult = backend.draw(request, out)
        return made if price is None else made.model_copy(update={"cost": price})

    cache.call(call, target, make, None, again)
    sheet = _sheet(cache.db, request.character.name)
    sheet[request.view] = {
        "file": call.relative,
        "sha256": file_hash(target),
        "notes": request.notes,
    }
    with cache.db.conn:
        cache.db.table("characters").update(
            request.character.name, {"sheet": json.dumps(sheet, ensure_ascii=False)}
        )


def slug(name: str) -> str:
    """A file name for a character: letters and digits of any script, the rest as dashes."""
    return re.sub(r"[^\w]+", "-", name.casefold()).strip("-") or "character"
