"""`writersroom memory ...`, `check` and `export`: the series memory and scripts in Fountain.

Registered on the main command in cli.py. Every error is one line on stderr and exit code 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from writersroom import plain
from writersroom.agents import continuity
from writersroom.continuity import checker
from writersroom.continuity.canon import Canon, CanonCharacter
from writersroom.continuity.rules import Rules
from writersroom.errors import InputError, WritersroomError
from writersroom.handoff import exports
from writersroom.handoff.exports import TimelineKind
from writersroom.memory.facts import Facts
from writersroom.room.project import Project
from writersroom.room.prompting import compact
from writersroom.schemas import ContinuityIssue, Script, SeriesBible
from writersroom.screenplay import fountain

memory_app = typer.Typer(help="Search the series memory: facts, scenes and summaries.")
out = Console()
err = Console(stderr=True)
Dir = Annotated[Path, typer.Option("--dir", help="The project folder.")]


@contextmanager
def one_line_errors() -> Iterator[None]:
    try:
        yield
    except WritersroomError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def project_at(path: Path) -> Iterator[Project]:
    with one_line_errors():
        project = Project(path.resolve())
        try:
            yield project
        finally:
            project.close()


@memory_app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find (full-text search).")],
    directory: Dir = Path("."),
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
) -> None:
    """Find facts, scenes and episode summaries that match the words."""
    words = " ".join(re.findall(r"\w+", query))  # full-text syntax ('"', NEAR, *) is not for users
    if not words:
        with one_line_errors():
            raise InputError("the search has no words: give a few words to find")
    with project_at(directory) as project:
        hits = Facts(project.memory.db).search(words, limit)
        if not hits:
            out.print(f"Nothing in the series memory matches {query!r}.", highlight=False)
        for hit in hits:
            where = f"episode {hit['episode']}" + (
                f", scene {hit['scene']}" if hit["scene"] else ""
            )
            text = " ".join(hit["text"].split())
            out.print(f"[bold]{where}[/] ({hit['where']}): {escape(text)}", highlight=False)


@memory_app.command()
def facts(
    character: Annotated[str, typer.Argument(help="A character's name, as in the bible.")],
    directory: Dir = Path("."),
) -> None:
    """Everything the ledger holds about one character, episode by episode."""
    with project_at(directory) as project:
        rows = Facts(project.memory.db).facts(character)
        if not rows:
            bible = project.memory.bible() or {"characters": []}
            cast = ", ".join(c["name"] for c in bible["characters"]) or "no cast yet"
            raise InputError(f"no facts about {character!r} (the cast: {cast})")
        for r in rows:
            value = f" ({r['value']})" if r["value"] else ""
            out.print(
                f"episode {r['episode']}, scene {r['scene']} · {r['kind']}: "
                f"{escape(r['subject'])}{escape(value)} — {escape(r['text'])}",
                highlight=False,
            )


def _canon(play: fountain.Screenplay, series: Path | None) -> Canon:
    if series is None:
        cast = [CanonCharacter(name, age) for name, age in play.cast()]
        return Canon(cast, episode=play.episode() or 1, source="the title page")
    with project_at(series) as project:
        data = project.memory.bible()
        if data is None:
            raise InputError(f"{series} has no approved bible yet to check against")
        numbers = [e["number"] for e in project.memory.episodes()]
        episode = play.episode() or max(numbers, default=0) + 1
        return checker.canon_for(project.memory, SeriesBible.model_validate(data), episode)


def _agent_issues(
    play: fountain.Screenplay, canon: Canon, spec: str, series: Path | None
) -> list[ContinuityIssue]:
    """The continuity agent's layer on `spec`: against the series' bible and memory, or the
    script's own cast with no memory."""
    if series is None:
        room = checker.reading_room(spec, Path.cwd(), canon.episode)
        return continuity.check_continuity(room, checker.cast_as_bible(play, canon), play, [])
    with project_at(series) as project:
        room = checker.reading_room(
            spec, project.path, canon.episode, project.config, project.memory
        )
        summaries = project.memory.summaries(before=canon.episode)
        return continuity.check_continuity(room, compact(project.memory.bible()), play, summaries)


def _file_line(play: fountain.Screenplay, issue: ContinuityIssue) -> int | None:
    scene = next((s for s in play.scenes if s.number == issue.scene), None)
    if scene is None:
        return None
    line = next((d.at for d in scene.dialogue() if d.line == issue.line), None)
    return line or scene.at or None


def check(
    script: Annotated[Path, typer.Argument(help="A screenplay in Fountain (.fountain).")],
    series: Annotated[
        Path | None, typer.Option(help="Check against this series' bible and memory.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Run the continuity agent on this model too (PROVIDER:MODEL)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a Fountain script's continuity; exit code 1 when it has errors.

    Against a series' memory with --series; otherwise against the cast on its title page
    (`Characters: Name (age), ...`), or the speakers as they first appear. The rules always
    run; with --model the continuity agent reads the script as well, and each issue says
    which layer found it.
    """
    with one_line_errors():
        play = fountain.read_script_file(script)
        canon = _canon(play, series)
        rules = Rules(play, canon)
        rules.run()
        agent = _agent_issues(play, canon, model, series) if model else []
    issues = checker.merge(rules.issues, checker.weigh(agent, rules))
    errors = [i for i in issues if i.severity == "error"]
    layers = {
        layer: sum(i.found_by == layer for i in issues)
        for layer in ("rules", *(["agent"] if model else []))
    }
    if as_json:
        report = {
            "script": str(script),
            "errors": len(errors),
            "warnings": len(issues) - len(errors),
            "found_by": layers,
            "issues": [
                i.model_dump(mode="json") | {"file_line": _file_line(play, i)} for i in issues
            ],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        out.print(
            f"{escape(str(script))}: {len(play.scenes)} scenes, {len(errors)} error(s), "
            f"{len(issues) - len(errors)} warning(s)"
            + (f" (rules {layers['rules']}, agent on {model} {layers['agent']})" if model else ""),
            highlight=False,
            soft_wrap=True,
        )
        for issue in issues:
            at = _file_line(play, issue)
            where = f" (line {at} of the file)" if at else ""
            out.print(
                f"  {issue.severity} · {issue.kind} · {issue.found_by} · "
                f"{escape(checker.describe(issue))}{where}",
                highlight=False,
                soft_wrap=True,
            )
    if errors:
        raise typer.Exit(1)


def export(
    episode: Annotated[int, typer.Argument(help="The episode number.", min=1)],
    directory: Dir = Path("."),
    as_fountain: Annotated[
        bool, typer.Option("--fountain", help="Write Fountain (default: the script's JSON).")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write to this file instead of stdout (a timeline: into this folder; "
            "default for timelines and pages: exports/ in the project).",
        ),
    ] = None,
    timeline: Annotated[
        TimelineKind | None,
        typer.Option(help="Export the cut as an editable timeline pointing at its files."),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Screenplay pages as PDF.")] = False,
    fdx: Annotated[bool, typer.Option("--fdx", help="The script as Final Draft (.fdx).")] = False,
) -> None:
    """Export an episode: its script (JSON, Fountain, PDF pages, Final Draft), or its cut as
    a Jianying/CapCut draft, an OpenTimelineIO timeline, FCP XML or a CMX 3600 EDL."""
    chosen = [
        name
        for name, on in (
            ("--fountain", as_fountain),
            ("--timeline", timeline is not None),
            ("--pdf", pdf),
            ("--fdx", fdx),
        )
        if on
    ]
    if len(chosen) > 1:
        with one_line_errors():
            raise InputError(f"choose one export at a time, not {' and '.join(chosen)}")
    if timeline is not None or pdf or fdx:
        with project_at(directory) as project:
            if timeline is not None:
                files = exports.export_timeline(
                    project.path, project.memory, episode, timeline, output
                )
            else:
                kind = "pdf" if pdf else "fdx"
                files = [exports.export_pages(project.path, project.memory, episode, kind, output)]
        for file in files:
            out.print(f"Wrote {escape(str(file))}", highlight=False)
        return
    with project_at(directory) as project:
        row = project.memory.episode(episode)
        if row and row["script"]:
            data = json.loads(row["script"])
        else:
            draft = project.memory.draft(episode, "script")
            if draft is None:
                raise InputError(f"episode {episode} has no script yet")
            data = draft["content"]
        script = Script.model_validate(data)
        bible = project.memory.bible() or {"characters": []}
    cast = [(c["name"], c.get("age")) for c in bible["characters"]]
    if as_fountain:
        text = fountain.to_fountain(script, cast)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    text = plain.stripped(text)  # no terminal control characters in what is exported
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"Wrote episode {episode}'s script to {escape(str(output))}.", highlight=False)
