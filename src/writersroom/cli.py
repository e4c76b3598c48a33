"""The `writersroom` command: every command works on a project folder (`--dir`)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from writersroom import display, render_cli, script_cli
from writersroom.answers import Usage
from writersroom.errors import InputError, ModelError, WritersroomError
from writersroom.evals.cli import app as eval_app
from writersroom.project import Project
from writersroom.schemas import Decision
from writersroom.web.serve import serve

app = typer.Typer(
    help="A writers' room of AI agents for vertical short dramas.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")
app.add_typer(script_cli.memory_app, name="memory")
app.command()(script_cli.check)
app.command()(script_cli.export)
app.command()(render_cli.render)
app.command()(render_cli.cost)
app.command()(serve)
out = Console()
err = Console(stderr=True)

Dir = Annotated[Path, typer.Option("--dir", help="The project folder.")]
Models = Annotated[
    list[str] | None,
    typer.Option("--model", help="Override an agent's model: AGENT=provider:model (repeatable)."),
]
Auto = Annotated[bool, typer.Option("--auto", help="Approve every checkpoint (batch runs).")]
Override = Annotated[
    bool, typer.Option("--override", help="Accept the script despite its continuity errors.")
]


def progress(agent: str, task: str, usage: Usage | None) -> None:
    if usage is None:
        err.print(f"[cyan]→[/] {agent}: {task}…", highlight=False)
    elif usage.problem:
        err.print(
            f"  [yellow]↻[/] {agent} answer rejected, asking again: ",
            usage.problem,
            highlight=False,
            markup=False,
        )
    else:
        err.print(
            f"  [green]✓[/] {agent} · {usage.model} · {usage.input_tokens} in / "
            f"{usage.output_tokens} out tokens · {usage.seconds:.1f} s",
            highlight=False,
            markup=True,
        )


@contextmanager
def opened(
    path: Path, models: list[str] | None = None, premise: str | None = None
) -> Iterator[Project]:
    """Open the project (or with a premise, create it); the room's errors become one line."""
    project = None
    try:
        if premise is None:
            project = Project(path.resolve(), models, report=progress)
        else:
            project = Project.create(
                path.resolve(), premise, model_overrides=models, report=progress
            )
        yield project
    except ModelError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        err.print("The run stopped before that step; `writersroom resume` tries it again.")
        raise typer.Exit(1) from None
    except WritersroomError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("stopped: `writersroom resume` continues from the last finished step")
        raise typer.Exit(130) from None
    finally:
        if project is not None:
            project.close()


def fail(message: str) -> None:
    err.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def report_status(project: Project) -> None:
    episode = project.current_episode()
    waiting = project.pending()
    if waiting is not None:
        out.print(
            f"Episode {episode} waits for you at [bold]{waiting.checkpoint}[/] "
            f"({waiting.kind}, revision {waiting.revision}).\n"
            f"  Read it: writersroom show {waiting.kind}\n"
            '  Then: writersroom approve | revise --notes "..." | edit'
        )
    elif project.next_nodes(episode):
        nodes = ", ".join(project.next_nodes(episode))
        out.print(f"Episode {episode} stopped before {nodes}: `writersroom resume` continues.")
    else:
        out.print(f"Episode {episode}: shots approved. `writersroom next-episode` writes the next.")
        render_cli.report_cut(project, episode)


@app.command()
def new(premise: str, directory: Dir = Path("."), model: Models = None, auto: Auto = False) -> None:
    """Start a series from a one-line premise; run until the first checkpoint."""
    with opened(directory, model, premise) as project:
        project.start(auto=auto)
        report_status(project)


@app.command()
def run(premise: str, directory: Dir = Path("."), model: Models = None, auto: Auto = False) -> None:
    """Start a series and run it to the approved shot list (with --auto, without stopping)."""
    new(premise, directory, model, auto)


@app.command()
def status(directory: Dir = Path(".")) -> None:
    """Where the run stands and what waits for whom."""
    with opened(directory) as project:
        report_status(project)


@app.command()
def show(
    kind: Annotated[str, typer.Argument(help="bible, outline, script or shots")],
    directory: Dir = Path("."),
    revision: Annotated[
        int | None, typer.Option(help="A revision number; default the latest.")
    ] = None,
    episode: Annotated[int | None, typer.Option(help="Default the current episode.")] = None,
) -> None:
    """Show a draft formatted for reading."""
    if kind not in display.RENDERERS:
        fail(f"cannot show {kind!r}: choose bible, outline, script or shots")
    with opened(directory) as project:
        number = 0 if kind == "bible" else episode or project.current_episode()
        row = project.memory.draft(number, kind, revision)
        if row is None:
            known = project.memory.revisions(number, kind)
            raise InputError(
                f"no {kind} revision {revision} (revisions: {known})"
                if revision and known
                else f"no {kind} has been written yet"
            )
        out.print(f"{kind} revision {row['revision']} by {row['agent']} ({row['model']})")
        out.print(display.RENDERERS[kind](row["content"]))
        waiting = project.pending()
        if kind == "script" and waiting and waiting.kind == "script":
            out.print(display.review(waiting.payload["continuity"], waiting.payload["critique"]))


@app.command()
def approve(directory: Dir = Path("."), model: Models = None, override: Override = False) -> None:
    """Approve the waiting draft and run on to the next checkpoint."""
    with opened(directory, model) as project:
        waiting = project.decide(Decision(action="approve", override=override))
        out.print(f"Approved {waiting.kind} revision {waiting.revision}.")
        report_status(project)


@app.command()
def revise(
    notes: Annotated[str, typer.Option("--notes", help="What to change.")],
    directory: Dir = Path("."),
    model: Models = None,
) -> None:
    """Send the waiting draft back to its agent with notes."""
    if not notes.strip():
        fail("--notes is empty: say what to change")
    with opened(directory, model) as project:
        waiting = project.decide(Decision(action="revise", notes=notes))
        out.print(f"Sent {waiting.kind} revision {waiting.revision} back with your notes.")
        report_status(project)


@app.command()
def edit(
    directory: Dir = Path("."),
    model: Models = None,
    file: Annotated[
        Path | None, typer.Option(help="Take the edited draft (JSON) from a file.")
    ] = None,
    override: Override = False,
) -> None:
    """Edit the waiting draft (in $EDITOR, as JSON); it is validated before the run goes on."""
    with opened(directory, model) as project:
        waiting = project.pending()
        if waiting is None:
            raise InputError(project.nothing_waits())
        if file is None:
            file = Path(tempfile.mkstemp(prefix=f"{waiting.kind}-", suffix=".json")[1])
            file.write_text(json.dumps(waiting.payload["draft"], indent=2, ensure_ascii=False))
            editor = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
            if subprocess.run([*editor, str(file)], check=False).returncode != 0:
                raise InputError(f"the editor failed; your draft is kept in {file}")
        try:
            draft = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{file} is not a JSON draft ({exc}); nothing was changed") from None
        try:
            project.decide(Decision(action="edit", draft=draft, override=override))
        except InputError as exc:
            raise InputError(f"{exc}; your edit is kept in {file}") from None
        out.print(f"Your edit of the {waiting.kind} is revision {waiting.revision + 1}.")
        report_status(project)


@app.command()
def resume(directory: Dir = Path("."), model: Models = None) -> None:
    """Continue a run that was stopped or killed, from its last finished step."""
    with opened(directory, model) as project:
        project.resume()
        report_status(project)


@app.command()
def episodes(directory: Dir = Path(".")) -> None:
    """The series' episodes and token usage per agent."""
    with opened(directory) as project:
        table = Table(title=project.memory.series()["title"] or "(untitled series)")  # type: ignore[index]
        for column in ("Ep", "Title", "Status", "Summary"):
            table.add_column(column)
        for row in project.memory.episodes():
            display._row(
                table,
                str(row["number"]),
                row["title"] or "",
                row["status"] or "",
                row["summary"] or "",
            )
        out.print(table)
        usage = Table(title="Tokens per agent")
        for column in ("Agent", "Model", "Calls", "In", "Out", "Seconds"):
            usage.add_column(column)
        for row in project.memory.usage_by_agent():
            usage.add_row(
                *(
                    str(row[k])
                    for k in ("agent", "model", "calls", "input_tokens", "output_tokens", "seconds")
                )
            )
        out.print(usage)


@app.command("next-episode")
def next_episode(directory: Dir = Path("."), model: Models = None, auto: Auto = False) -> None:
    """Outline and write the next episode from the bible, the arc and earlier episodes."""
    with opened(directory, model) as project:
        number = project.next_episode(auto=auto)
        out.print(f"Episode {number} started.")
        report_status(project)
