"""What a render will cost before anything runs: per backend, its calls, the seconds of
output and their cost, from the approved shot list and the prices (`render --estimate`; the
`[production] budget` check before production starts).

A call's cost is its seconds of output times `[production.prices]` where that names its
backend, else what the backend says it bills (`estimate(seconds, text)`, as the paid ones
have), else nothing. Videos and voices already in the render cache cost nothing; lip-syncs
are made from files not made yet, so each is counted. Each view of a character's sheet not
drawn yet is one call of no seconds, costing `[production.prices.image]` (a price per
picture) where that names the image backend, else what the backend says it bills.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.tools import ToolException

from writersroom.config import ProductionConfig
from writersroom.errors import InputError
from writersroom.room.production import image_backend, image_price
from writersroom.speech import spoken_seconds
from writersroom.tools import registry
from writersroom.tools import sheets as drawing
from writersroom.tools.toolkit import Studio

TOOLS = {
    "image": drawing.TOOL,
    "video": "generate_video",
    "voice": "synthesize_voice",
    "lip_sync": "lip_sync",
}


@dataclass
class Line:
    """One backend's share of a render."""

    tool: str
    backend: str
    calls: int = 0
    seconds: float = 0.0
    cost: float = 0.0


def call_cost(backend: Any, price: float | None, seconds: float, text: str = "") -> float:
    if price is not None:
        return price * seconds
    estimate = getattr(backend, "estimate", None)
    return float(estimate(seconds, text)) if estimate else 0.0


def estimate(studio: Studio, production: ProductionConfig, sheets: bool = True) -> list[Line]:
    """The calls the episode's render still needs (with the cut), per backend; with the views
    of the cast's sheets still to draw unless `sheets` is False (they are drawn once for
    several episodes: count them with one)."""
    lines: dict[str, Line] = {}
    name = production.assemble
    assembler = registry.load("assemble", name, production.options.get(name))

    def add(kind: str, backend: Any, seconds: float, cost: float) -> None:
        line = lines.setdefault(kind, Line(TOOLS.get(kind, kind), backend.name))
        line.calls += 1
        line.seconds += seconds
        line.cost += cost

    def made(name: str, args: dict[str, Any]) -> bool:
        try:
            job = studio.job(name, args)
        except ToolException:  # the call would be refused: counted as asked for
            return False
        return studio.cache.has(studio.ledger_call(job, {}, job.file, "estimate").key)

    if sheets:
        image, price = image_backend(production), image_price(production)
        looks = [member.look for member in studio.cast.values()]
        for _ in drawing.to_draw(studio.cache, looks, image):
            add("image", image, 0.0, price if price is not None else call_cost(image, None, 0.0))
    runtime = 0.0
    for number, shot in sorted(studio.plan.items()):
        runtime += shot.duration_seconds
        video = studio.backends["video"]
        if number not in studio.videos and not made("generate_video", {"shot": number}):
            seconds = shot.duration_seconds
            add("video", video, seconds, call_cost(video, studio.price("video"), seconds))
        for planned in shot.lines:
            said = {"shot": number, "line": planned.line}
            if (number, planned.line) not in studio.voices and not made("synthesize_voice", said):
                voice, seconds = studio.backends["voice"], spoken_seconds(planned.text)
                cost = call_cost(voice, studio.price("voice"), seconds, planned.text)
                add("voice", voice, seconds, cost)
            if planned.speaker in shot.characters:
                sync, seconds = studio.backends["lip_sync"], shot.duration_seconds
                add("lip_sync", sync, seconds, call_cost(sync, studio.price("lip_sync"), seconds))
    price = production.prices.get("assemble", {}).get(name)
    add("assemble", assembler, runtime, call_cost(assembler, price, runtime))
    for line in lines.values():
        line.seconds, line.cost = round(line.seconds, 1), round(line.cost, 4)
    return list(lines.values())


def merged(lines: list[Line]) -> list[Line]:
    """Lines of several episodes' estimates, one per tool and backend."""
    totals: dict[tuple[str, str], Line] = {}
    for line in lines:
        total = totals.setdefault((line.tool, line.backend), Line(line.tool, line.backend))
        total.calls += line.calls
        total.seconds = round(total.seconds + line.seconds, 1)
        total.cost = round(total.cost + line.cost, 4)
    return list(totals.values())


def check_budget(studio: Studio, production: ProductionConfig, episode: int) -> None:
    """Stop a render that would cost more than `[production] budget`, before any call."""
    budget = production.budget
    if budget is None:
        return
    lines = estimate(studio, production)
    total = sum(line.cost for line in lines)
    if total > budget:
        parts = ", ".join(f"{line.tool} {line.cost:g}" for line in lines if line.cost)
        raise InputError(
            f"rendering episode {episode} would cost about {total:g} ({parts}), over the "
            f"budget of {budget:g}: raise [production] budget in writersroom.toml, or choose "
            "cheaper backends; nothing was rendered"
        )
