"""Characters drawn the same way in every shot and episode: a look from the bible and a seed.

The colours and shapes named in a character's look (black hair in a bun, a red silk dress,
rimless glasses) are drawn as written; what the look leaves open (skin, eyes, the exact shades)
comes from the character's seed, kept in series memory, so nothing changes between shots.
Notes given when a reference sheet is made again ("grey streak in her hair, no glasses") are
read the same way, phrase by phrase, and take precedence over the look.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from PIL import ImageDraw

from writersroom.tools.base import CharacterLook

RGB = tuple[int, int, int]
COLOURS: dict[str, RGB] = {
    "black": (28, 26, 30),
    "white": (236, 236, 232),
    "grey": (128, 130, 134),
    "gray": (128, 130, 134),
    "silver": (184, 188, 194),
    "red": (190, 30, 45),
    "crimson": (160, 20, 50),
    "scarlet": (220, 36, 31),
    "pink": (232, 140, 170),
    "orange": (232, 120, 40),
    "yellow": (236, 200, 60),
    "gold": (212, 170, 60),
    "golden": (212, 170, 60),
    "blonde": (224, 192, 120),
    "brown": (110, 70, 40),
    "auburn": (140, 60, 30),
    "beige": (214, 196, 160),
    "cream": (240, 228, 200),
    "ivory": (240, 234, 214),
    "khaki": (190, 176, 120),
    "green": (50, 130, 70),
    "jade": (0, 150, 110),
    "emerald": (20, 140, 90),
    "teal": (20, 128, 128),
    "blue": (40, 80, 170),
    "navy": (24, 36, 80),
    "purple": (110, 50, 140),
    "violet": (130, 80, 180),
    "maroon": (110, 24, 36),
}
SKIN: list[RGB] = [(241, 206, 176), (226, 184, 146), (198, 150, 110), (160, 110, 76), (112, 76, 52)]
HAIR: list[RGB] = [COLOURS[c] for c in ("black", "brown", "auburn", "blonde", "grey")]
CLOTHES: list[RGB] = [COLOURS[c] for c in ("navy", "red", "green", "grey", "purple", "beige")]
GARMENTS = ("dress", "gown", "coat", "suit", "jacket", "shirt", "uniform", "robe", "hoodie")
STYLES = ("bun", "bob", "long", "short", "bald")
ACCENTS = ("pendant", "necklace", "tie", "brooch", "scarf")
NEGATION = re.compile(r"\b(?:no|not|without|remove|drop|lose|take off)\b")


@dataclass(frozen=True)
class Appearance:
    skin: RGB
    hair: RGB
    hair_style: str  # bun, bob, long, short, bald
    clothes: RGB
    garment: str
    accent: RGB | None  # a pendant, tie or brooch
    glasses: bool
    beard: bool
    streak: RGB | None = None  # a streak of another colour in the hair


def _colour_before(text: str, nouns: tuple[str, ...]) -> RGB | None:
    """The colour named within three words before one of `nouns`, e.g. 'red silk dress'."""
    for noun in nouns:
        match = re.search(rf"((?:[a-z-]+\s+){{1,3}}){noun}", text)
        if match:
            for word in reversed(match.group(1).split()):
                if word in COLOURS:
                    return COLOURS[word]
    return None


def appearance(look: CharacterLook, notes: str = "") -> Appearance:
    """Derive a character's drawing from their look and seed: the same inputs, the same person.
    What `notes` name (see `amended`) replaces what the look says."""
    text = look.look.casefold()
    rng = random.Random(look.seed)
    skin, hair, clothes = rng.choice(SKIN[:4]), rng.choice(HAIR), rng.choice(CLOTHES)
    style = next((s for s in STYLES if s in text), rng.choice(["short", "short", "long", "bob"]))
    accent = None
    for item in ACCENTS:
        if item in text:
            accent = _colour_before(text, (item,)) or COLOURS["gold"]
    drawn = Appearance(
        skin=skin,
        hair=_colour_before(text, ("hair",)) or hair,
        hair_style=style,
        clothes=_colour_before(text, GARMENTS) or clothes,
        garment=next((g for g in GARMENTS if g in text), "jacket"),
        accent=accent,
        glasses="glasses" in text or "spectacles" in text,
        beard="beard" in text,
    )
    return amended(drawn, notes)


def amended(drawn: Appearance, notes: str) -> Appearance:
    """`drawn` with what `notes` ask for, phrase by phrase (split at commas, semicolons and
    full stops): a colour, style or streak of the hair; a garment and its colour; glasses, a
    beard or an accent, put on or (after "no", "without", ...) taken off."""
    changes: dict[str, object] = {}
    for phrase in re.split(r"[,;.\n]+", notes.casefold()):
        words = re.findall(r"[a-z-]+", phrase)
        colours = [COLOURS[w] for w in words if w in COLOURS]
        named = colours[0] if colours else None
        negated = NEGATION.search(phrase) is not None
        if "glasses" in words or "spectacles" in words:
            changes["glasses"] = not negated
        if "beard" in words or "clean-shaven" in words:
            changes["beard"] = "beard" in words and not negated
        for item in ACCENTS:
            if item in words:
                changes["accent"] = None if negated else named or COLOURS["gold"]
        if "streak" in words or "streaks" in words:
            streak = _colour_before(phrase, ("streak",)) or named or COLOURS["grey"]
            changes["streak"] = None if negated else streak
            named = _colour_before(phrase, ("hair",))  # "black hair with a grey streak"
        if "hair" in words and named is not None:
            changes["hair"] = named
        style = next((s for s in STYLES if s in words), None)
        if style is not None and ("hair" in words or style in ("bun", "bob", "bald")):
            changes["hair_style"] = style  # "long" alone may be a coat's
        garment = next((g for g in GARMENTS if g in words), None)
        if garment is not None:
            changes["garment"] = garment
            if named is not None:
                changes["clothes"] = named
    return replace(drawn, **changes)  # type: ignore[arg-type]


def _shade(colour: RGB, factor: float) -> RGB:
    return tuple(max(0, min(255, int(c * factor))) for c in colour)  # type: ignore[return-value]


def draw_figure(draw: ImageDraw.ImageDraw, look: Appearance, x: float, top: float, height: float):
    """Draw a standing figure `height` tall with its head's top at (x, top).

    Returns the face map: mouth centre and width, and the skin colour, in canvas pixels.
    """
    r = height * 0.075  # head radius
    hx, hy = x, top + r
    dark = _shade(look.clothes, 0.7)
    # legs, body, arms
    legs = _shade(look.clothes, 0.55) if look.garment == "suit" else (40, 40, 48)
    for side in (-1, 1):
        draw.rectangle(
            (
                x + side * 0.02 * height - 0.035 * height,
                top + 0.55 * height,
                x + side * 0.02 * height + 0.035 * height,
                top + 0.98 * height,
            ),
            fill=legs,
        )
    hem = 0.82 if look.garment in ("dress", "gown", "coat", "robe") else 0.58
    spread = 0.30 if look.garment in ("dress", "gown") else 0.22
    body = [
        (x - 0.13 * height, top + 0.19 * height),
        (x + 0.13 * height, top + 0.19 * height),
        (x + spread * height / 2 + 0.04 * height, top + hem * height),
        (x - spread * height / 2 - 0.04 * height, top + hem * height),
    ]
    draw.polygon(body, fill=look.clothes, outline=dark)
    for side in (-1, 1):
        draw.line(
            (
                x + side * 0.13 * height,
                top + 0.2 * height,
                x + side * 0.17 * height,
                top + 0.5 * height,
            ),
            fill=look.clothes,
            width=max(2, int(0.05 * height)),
        )
    if look.garment in ("suit", "jacket", "coat"):
        draw.polygon(
            [
                (x - 0.04 * height, top + 0.19 * height),
                (x + 0.04 * height, top + 0.19 * height),
                (x, top + 0.3 * height),
            ],
            fill=(235, 235, 235),
        )
    # neck and head
    draw.rectangle((hx - 0.4 * r, hy + 0.7 * r, hx + 0.4 * r, top + 0.2 * height), fill=look.skin)
    if look.hair_style in ("long",):
        draw.rectangle((hx - 1.1 * r, hy - 0.2 * r, hx + 1.1 * r, hy + 2.2 * r), fill=look.hair)
    draw.ellipse((hx - r, hy - r, hx + r, hy + 1.1 * r), fill=look.skin)
    if look.hair_style != "bald":
        draw.chord(
            (hx - 1.08 * r, hy - 1.12 * r, hx + 1.08 * r, hy + 0.5 * r), 180, 360, fill=look.hair
        )
        if look.streak is not None:  # a wedge of the hair, above the left eye
            draw.pieslice(
                (hx - 1.08 * r, hy - 1.12 * r, hx + 1.08 * r, hy + 0.5 * r),
                215,
                240,
                fill=look.streak,
            )
    if look.hair_style == "bun":
        draw.ellipse((hx - 0.45 * r, hy - 1.6 * r, hx + 0.45 * r, hy - 0.75 * r), fill=look.hair)
    if look.hair_style == "bob":
        for side in (-1, 1):
            draw.rectangle(
                (
                    hx + side * 1.05 * r - 0.25 * r,
                    hy - 0.3 * r,
                    hx + side * 1.05 * r + 0.25 * r,
                    hy + 0.8 * r,
                ),
                fill=look.hair,
            )
    # face
    for side in (-1, 1):
        ex, ey = hx + side * 0.38 * r, hy + 0.05 * r
        draw.ellipse(
            (ex - 0.13 * r, ey - 0.09 * r, ex + 0.13 * r, ey + 0.09 * r), fill=(250, 250, 250)
        )
        draw.ellipse(
            (ex - 0.07 * r, ey - 0.08 * r, ex + 0.07 * r, ey + 0.08 * r), fill=(30, 24, 20)
        )
        draw.line(
            (ex - 0.18 * r, ey - 0.24 * r, ex + 0.18 * r, ey - 0.28 * r),
            fill=_shade(look.hair, 0.8),
            width=max(1, int(0.07 * r)),
        )
        if look.glasses:
            draw.ellipse(
                (ex - 0.24 * r, ey - 0.2 * r, ex + 0.24 * r, ey + 0.2 * r),
                outline=(60, 60, 70),
                width=max(1, int(0.05 * r)),
            )
    draw.line(
        (hx, hy + 0.1 * r, hx - 0.06 * r, hy + 0.35 * r),
        fill=_shade(look.skin, 0.8),
        width=max(1, int(0.05 * r)),
    )
    if look.beard:
        draw.chord(
            (hx - 0.8 * r, hy + 0.1 * r, hx + 0.8 * r, hy + 1.15 * r),
            0,
            180,
            fill=_shade(look.hair, 0.9),
        )
    mouth_y, mouth_w = hy + 0.6 * r, 0.5 * r
    draw.line(
        (hx - mouth_w / 2, mouth_y, hx + mouth_w / 2, mouth_y),
        fill=(120, 40, 50),
        width=max(1, int(0.08 * r)),
    )
    if look.accent is not None:
        ay = top + 0.24 * height
        draw.ellipse(
            (x - 0.025 * height, ay - 0.025 * height, x + 0.025 * height, ay + 0.025 * height),
            fill=look.accent,
        )
    return {"mouth": [hx, mouth_y, mouth_w], "skin": list(look.skin)}
