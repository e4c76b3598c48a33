"""`writersroom render` and `writersroom cost`: make an episode's video again, and what it cost.

Registered on the main command in cli.py, whose error boundary makes every error one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from writersroom.errors import InputError
from writersroom.limits import MAX_EPISODE
from writersroom.memory import EpisodeStatus, Memory, costs
from writersroom.room import estimate as estimates
from writersroom.room import production
from writersroom.room.answers import summarize
from writersroom.room.live import RenderStatus
from writersroom.room.project import Project
from writersroom.schemas import Script
from writersroom.tools.board import JobBoard

out = Console()
err = Console(stderr=True)
Dir = Annotated[Path, typer.Option("--dir", help="The project folder.")]
Lines = Annotated[
    list[str] | None,
    typer.Option(
        "--line",
        help='Change a dialogue line before rendering: SCENE.LINE="new words" (repeatable).',
    ),
]


@contextmanager
def opened(path: Path) -> Iterator[Project]:
    project = Project(path.resolve())
    try:
        yield project
    finally:
        project.close()


Change = tuple[str, int, int, str]  # as written, scene, line, the new words


def parse_changes(changes: list[str]) -> list[Change]:
    """`--line SCENE.LINE="new words"` items, read (InputError for one written otherwise)."""
    parsed = []
    for change in changes:
        where, sep, text = change.partition("=")
        scene_no, dot, line_no = where.strip().partition(".")
        if not sep or not dot or not _number(scene_no) or not _number(line_no):
            raise InputError(
                f'--line {change!r}: write it as SCENE.LINE="new words", e.g. 2.1="Hi"'
            )
        parsed.append((where.strip(), int(scene_no), int(line_no), text.strip()))
    return parsed


def change_lines(memory: Memory, episode: int, parsed: list[Change]) -> None:
    """Rewrite dialogue lines of the episode's approved script: a new revision by the person."""
    row = memory.episode(episode)
    if row is None or not row.get("script"):
        raise InputError(f"episode {episode} has no approved script to change")
    script = json.loads(row["script"])
    for where, scene_no, line_no, text in parsed:
        scene = next((s for s in script["scenes"] if s["number"] == scene_no), None)
        if scene is None or not 1 <= line_no <= len(scene["lines"]):
            raise InputError(f"--line {where}: the script has no such scene and line")
        scene["lines"][line_no - 1]["text"] = text
    try:
        content = Script.model_validate(script).model_dump(mode="json")
    except ValidationError as exc:
        raise InputError(f"the changed script is not valid: {summarize(exc)}") from None
    revision = max(memory.revisions(episode, "script"), default=0) + 1
    memory.save_draft(episode, "script", revision, content, "person", "person")
    memory.upsert_episode(episode, script=content)


def _number(text: str) -> bool:
    """A small plain number (ASCII digits: "²" is a digit to Python but no number here)."""
    return text.isascii() and text.isdecimal() and len(text) <= 6


def report_cut(project: Project, episode: int) -> None:
    """The finished episode's video and its runtime against the outline's target, if cut."""
    row = project.memory.episode(episode) or {}
    if row.get("video"):
        target = json.loads(row["outline"])["target_runtime_seconds"] if row.get("outline") else "?"
        out.print(
            f"Its video: {project.path / row['video']} ({row['runtime_seconds']:.1f} s; "
            f"target {target} s)",
            soft_wrap=True,
        )


class ExecutorKind(StrEnum):
    local = "local"
    ray = "ray"


def render(
    episode: Annotated[
        int | None, typer.Argument(help="Default the current episode.", min=1, max=MAX_EPISODE)
    ] = None,
    directory: Dir = Path("."),
    line: Lines = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every episode whose shots are approved, at once.")
    ] = False,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Print what it would cost; render nothing.")
    ] = False,
    executor: Annotated[
        ExecutorKind | None,
        typer.Option(help="Where renders run (default: the executor kind in writersroom.toml)."),
    ] = None,
) -> None:
    """Make an episode's video, or every episode's (--all): its production on from where it
    stopped, or again from the director's calls (only what changed is redone)."""
    with opened(directory) as project, project.writing():
        if executor is not None:
            chosen = project.config.executor.model_copy(update={"kind": executor.value})
            project.config = project.config.model_copy(update={"executor": chosen})
        numbers = chosen_episodes(project, episode, every, bool(line))
        if estimate:
            show_estimate(project, numbers)
            return
        project.lock.running(
            "render of every episode" if every else f"render of episode {numbers[0]}"
        )
        changes = parse_changes(line or [])
        directed = [n for n in numbers if not _cut(project, n)]
        if changes and directed:
            raise InputError(f"episode {directed[0]} is not cut yet: render it before --line")
        runs = {}
        for number in directed:  # the director's calls are still to be made
            project.produce(number)
            state = project.state(number)
            runs[number] = (state["direction"]["run"], state["cut"])
        again = [n for n in numbers if n not in runs]
        if changes:
            change_lines(project.memory, again[0], changes)
        board = JobBoard(RenderStatus(err))
        made = production.render(project.config, project.memory, project.path, again, board)
        runs |= {number: (result["run"], result["cut"]) for number, result in made.items()}
        for number in numbers:
            run, cut = runs[number]
            calls, cached, cost = costs.run_totals(project.db, number, run)
            out.print(
                f"{cut['video']} and {cut['srt']}: {cut['runtime_seconds']:.1f} s "
                f"(target {cut['target_seconds']} s)",
                soft_wrap=True,
            )
            out.print(
                f"{calls} tool calls: {calls - cached} made, {cached} from the cache; cost {cost:g}"
            )


def chosen_episodes(project: Project, episode: int | None, every: bool, lines: bool) -> list[int]:
    """The episodes a render (or its estimate) is for: one, or (--all) every episode whose
    shots are approved."""
    if not every:
        number = episode or project.current_episode()
        if project.memory.episode(number) is None:
            raise InputError(f"episode {number} has not started: see `writersroom episodes`")
        return [number]
    if episode is not None or lines:
        raise InputError("--all renders every episode as it is: give no EPISODE and no --line")
    approved = (EpisodeStatus.REMEMBERED, EpisodeStatus.CUT)
    numbers = [row["number"] for row in project.memory.episodes() if row["status"] in approved]
    if not numbers:
        raise InputError("no episode has approved shots yet: see `writersroom status`")
    return numbers


def _cut(project: Project, episode: int) -> bool:
    """Whether the episode is cut and its production finished: it can be made again from its
    director's calls."""
    row = project.memory.episode(episode) or {}
    return row.get("status") == EpisodeStatus.CUT and not project.next_nodes(episode)


def show_estimate(project: Project, episodes: list[int]) -> None:
    lines = []
    for index, episode in enumerate(episodes):
        bible, script, shots, _ = production.stored_drafts(project.memory, episode)
        drafts = (bible, script, shots)
        studio = production.open_studio(
            project.config, project.memory, project.path, episode, drafts, draw=False
        )
        # the cast's sheets still to draw are drawn once, for the first episode rendered
        lines += estimates.estimate(studio, project.config.production, sheets=index == 0)
    lines = estimates.merged(lines)
    numbers = ", ".join(map(str, episodes))
    named = f"Episode {numbers}" if len(episodes) == 1 else f"Episodes {numbers}"
    table = Table(title=f"{named}: what rendering would cost")
    for column in ("Tool", "Backend", "Calls", "Seconds", "Cost"):
        table.add_column(column, justify="left" if column in ("Tool", "Backend") else "right")
    for line in lines:
        table.add_row(
            line.tool, line.backend, str(line.calls), f"{line.seconds:g}", f"{line.cost:g}"
        )
    out.print(table)
    total = sum(line.cost for line in lines)
    budget = project.config.production.budget
    verdict = ""
    if budget is not None:
        verdict = f" (budget {budget:g}: {'over' if total > budget else 'within'})"
    out.print(f"total: {total:g}{verdict}; nothing was rendered", highlight=False)


def cost(
    directory: Dir = Path("."),
    episode: Annotated[
        int | None, typer.Option(help="One episode, shot by shot.", min=1, max=MAX_EPISODE)
    ] = None,
) -> None:
    """What rendering cost: per shot, per episode and for the series (cached calls are free)."""
    with opened(directory) as project:
        rows = costs.by_shot(project.db, episode)
        if not rows:
            raise_none = "no rendering yet: approve an episode's shots, or `writersroom render`"
            err.print(f"[red]error:[/] {raise_none}", highlight=False)
            raise typer.Exit(1)
        table = Table(title="Render cost")
        for column in ("Episode", "Shot", "Tool", "Backend", "Calls", "Made", "Cost"):
            table.add_column(column)
        totals: dict[int, float] = {}
        for row in rows:
            shot = str(row["shot"]) if row["shot"] else costs.NO_SHOT[row["tool"]]
            table.add_row(
                str(row["episode"]),
                shot,
                row["tool"],
                row["backend"],
                str(row["calls"]),
                str(row["made"]),
                f"{row['cost']:g}",
            )
            totals[row["episode"]] = totals.get(row["episode"], 0.0) + row["cost"]
        out.print(table)
        for number, total in totals.items():
            out.print(f"episode {number}: {total:g}")
        if episode is None:
            out.print(f"series: {sum(totals.values()):g}")
