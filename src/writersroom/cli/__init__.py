"""The `writersroom` command: every command works on a project folder (`--dir`)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from writersroom import boundary, plain
from writersroom.cli import display
from writersroom.cli import render as render_cli
from writersroom.cli import script as script_cli
from writersroom.cli import sheet as sheet_cli
from writersroom.errors import Busy, Conflict, InputError, ModelError
from writersroom.evals.cli import app as eval_app
from writersroom.handoff import import_cli
from writersroom.limits import MAX_EPISODE, MAX_REVISION, read_draft_json
from writersroom.memory import EpisodeStatus
from writersroom.room import runlock
from writersroom.room.answers import Usage, summarize
from writersroom.room.project import Project
from writersroom.schemas import Decision
from writersroom.web.serve import serve


class Room(typer.Typer):
    """The command, inside the one error boundary (see `writersroom.boundary`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            code = super().__call__(*args, standalone_mode=False, **kwargs)
        except typer.Exit as exc:  # raised past the command by some paths
            code = exc.exit_code
        except typer.Abort:
            sys.exit(130)
        except typer.TyperException as exc:  # a usage error: a missing or invalid argument
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]
                sys.exit(exc.exit_code)
            ctx = getattr(exc, "ctx", None)
            command = ctx.command_path if ctx is not None else "writersroom"
            said(f"{exc.format_message()} (see `{command} --help`)", boundary.EXIT_FAILED)
        except KeyboardInterrupt:
            err.print("stopped: `writersroom resume` continues from the last finished step")
            sys.exit(130)
        except Exception as exc:
            failed(exc)
        sys.exit(code if isinstance(code, int) else 0)


def said(line: str, code: int, prefix: str = "error:") -> None:
    """Print one line on stderr (its control characters escaped) and exit with `code`."""
    text = Text(prefix, style="red")
    text.append((" " if prefix else "") + plain.escaped(line))
    err.print(text, highlight=False, soft_wrap=True)
    sys.exit(code)


def failed(exc: BaseException) -> None:
    """Report `exc` as one line and exit: busy 75, expected 1, a bug 2 (with a log file)."""
    if isinstance(exc, Busy):
        said(str(exc).removeprefix("busy: "), boundary.EXIT_BUSY, "busy:")
    if isinstance(exc, Conflict):
        said(str(exc), boundary.EXIT_BUSY, "conflict:")
    message = boundary.expected_message(exc)
    if message is None:
        said(boundary.unexpected_line(exc, " ".join(sys.argv)), boundary.EXIT_UNEXPECTED)
    if isinstance(exc, ModelError):
        err.print(
            "error: " + plain.escaped(str(message)), highlight=False, soft_wrap=True, markup=False
        )
        said("The run stopped before that step; `writersroom resume` tries it again.", 1, "")
    said(str(message), boundary.EXIT_FAILED)


app = Room(
    help="A writers' room of AI agents for vertical short dramas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(eval_app, name="eval")
app.add_typer(script_cli.memory_app, name="memory")
app.command()(script_cli.check)
app.command()(script_cli.export)
app.command(name="import")(import_cli.import_script)
app.command()(render_cli.render)
app.command()(render_cli.cost)
app.command()(sheet_cli.sheet)
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
        line = Text("  ")
        line.append("↻", style="yellow")
        line.append(f" {agent} answer rejected, asking again: {plain.escaped(usage.problem)}")
        err.print(line, highlight=False)
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
    """Open the project (or with a premise, create it); close it however the command ends.

    Its errors go on to the boundary (`Room.__call__`), which makes each one line."""
    if premise is None:
        project = Project(path.resolve(), models, report=progress)
    else:
        project = Project.create(path.resolve(), premise, model_overrides=models, report=progress)
    try:
        yield project
    finally:
        project.close()


def fail(message: str) -> None:
    raise InputError(message)


def report_status(project: Project) -> None:
    episode = project.current_episode()
    holder = runlock.holder(project.path)
    if holder is not None and not project.lock.held:
        out.print(
            f"Episode {episode} is running: {plain.escaped(holder.describe())}.\n"
            "  `writersroom status` again to follow it; decide once it stops.",
            markup=False,
            highlight=False,
        )
        return
    waiting = project.pending()
    if waiting is not None:
        out.print(
            f"Episode {episode} waits for you at [bold]{waiting.checkpoint}[/] "
            f"({waiting.kind}, revision {waiting.revision}).\n"
            f"  Read it: writersroom show {waiting.kind}\n"
            '  Then: writersroom approve | revise --notes "..." | edit'
        )
        return
    status = (project.memory.episode(episode) or {}).get("status")
    nodes = ", ".join(project.next_nodes(episode))
    if status not in (EpisodeStatus.REMEMBERED, EpisodeStatus.CUT):
        out.print(f"Episode {episode} stopped before {nodes}: `writersroom resume` continues.")
        return
    out.print(
        f"Episode {episode}: shots approved and remembered. "
        "`writersroom next-episode` writes the next."
    )
    if nodes:
        out.print(
            f"  Its production stopped before {nodes}: `writersroom render {episode}` continues it."
        )
    elif status == EpisodeStatus.REMEMBERED:
        out.print(f"  Production is off: `writersroom render {episode}` makes its video.")
    render_cli.report_cut(project, episode)


@app.command()
def new(premise: str, directory: Dir = Path("."), model: Models = None, auto: Auto = False) -> None:
    """Start a series from a one-line premise; run until the first checkpoint."""
    with opened(directory, model, premise) as project:
        project.start(auto=auto)
        report_status(project)
        err.print(display.time_table(project.memory.usage_by_task()))


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
        int | None,
        typer.Option(help="A revision number; default the latest.", min=1, max=MAX_REVISION),
    ] = None,
    episode: Annotated[
        int | None, typer.Option(help="Default the current episode.", min=1, max=MAX_EPISODE)
    ] = None,
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
        out.print(
            plain.escaped(f"{kind} revision {row['revision']} by {row['agent']} ({row['model']})"),
            markup=False,
        )
        out.print(display.RENDERERS[kind](plain.escaped_tree(row["content"])))
        waiting = project.pending()
        if kind == "script" and waiting and waiting.kind == "script":
            out.print(
                display.review(
                    plain.escaped_tree(waiting.payload["continuity"]),
                    plain.escaped_tree(waiting.payload["critique"]),
                )
            )


@app.command()
def approve(directory: Dir = Path("."), model: Models = None, override: Override = False) -> None:
    """Approve the waiting draft and run on to the next checkpoint."""
    with opened(directory, model) as project:
        waiting = project.decide(decided(action="approve", override=override))
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
    decision = decided(action="revise", notes=notes)
    with opened(directory, model) as project:
        waiting = project.decide(decision)
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
        seen = (waiting.episode, waiting.checkpoint, waiting.revision)
        if file is None:
            file = Path(tempfile.mkstemp(prefix=f"{waiting.kind}-", suffix=".json")[1])
            file.write_text(json.dumps(waiting.payload["draft"], indent=2, ensure_ascii=False))
            run_editor(file)
        draft = read_draft_json(file)
        try:
            decision = decided(action="edit", draft=draft, override=override)
            project.decide(decision, seen)
        except Conflict:
            raise
        except InputError as exc:
            raise InputError(f"{exc}; your edit is kept in {file}") from None
        out.print(f"Your edit of the {waiting.kind} is revision {waiting.revision + 1}.")
        report_status(project)


def run_editor(file: Path) -> None:
    """Open `file` in $VISUAL or $EDITOR (default vi); InputError if that cannot be done."""
    given = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        editor = shlex.split(given)
    except ValueError as exc:
        raise InputError(f"$EDITOR {given!r} cannot be read ({exc}); set it to a command") from None
    if not editor:
        raise InputError("$EDITOR is empty: set it to a command, or give --file")
    try:
        code = subprocess.run([*editor, str(file)], check=False).returncode
    except OSError as exc:
        raise InputError(
            f"the editor {editor[0]!r} cannot be started ({exc.strerror}); set $EDITOR, or "
            f"edit {file} and give it with --file"
        ) from None
    if code != 0:
        raise InputError(f"the editor failed; your draft is kept in {file}")


def decided(**fields: Any) -> Decision:
    """A person's decision, checked (notes and edits within their limits)."""
    try:
        return Decision(**fields)
    except ValidationError as exc:
        raise InputError(summarize(exc, limit=1)) from None


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
        title = project.memory.series()["title"] or "(untitled series)"  # type: ignore[index]
        table = Table(title=Text(plain.escaped(title)))
        for column in ("Ep", "Title", "Status", "Summary"):
            table.add_column(column)
        for row in project.memory.episodes():
            display._row(
                table,
                str(row["number"]),
                plain.escaped(row["title"] or ""),
                row["status"] or "",
                plain.escaped(row["summary"] or ""),
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
