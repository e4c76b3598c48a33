"""Drafts formatted for reading in a terminal (rich renderables)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


def _row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are shown as written (model text is never read as markup)."""
    table.add_row(*(c if isinstance(c, Text) else Text(c) for c in cells))


def bible(d: dict[str, Any]) -> RenderableType:
    cast = Table(title="Cast", show_lines=True, expand=True)
    for column in ("Name", "Role", "Age", "Look", "Voice", "Arc", "Secrets"):
        cast.add_column(column)
    for c in d["characters"]:
        _row(
            cast,
            c["name"],
            c["role"],
            str(c["age"]),
            c["look"],
            c["voice"],
            c["arc"],
            "\n".join(c.get("secrets", [])),
        )
    arc = Table(title="Season arc", expand=True)
    arc.add_column("Ep", justify="right")
    arc.add_column("Logline")
    for e in d["season_arc"]:
        _row(arc, str(e["number"]), e["logline"])
    head = Text.assemble(
        (d["title"], "bold"), f"  ({d['genre']}; {d['tone']})\n", d["logline"], "\n\n", d["world"]
    )
    return Group(Panel(head, title="Series bible"), cast, arc)


def outline(d: dict[str, Any]) -> RenderableType:
    title = f"Episode {d['number']}: {d['title']}  (target {d['target_runtime_seconds']} s)"
    beats = Table(title=Text(title), expand=True)
    beats.add_column("At", justify="right")
    beats.add_column("Beat")
    _row(beats, "0 s", Text.assemble(("HOOK ", "bold"), d["hook"]))
    for b in d["beats"]:
        _row(beats, f"{b['at_seconds']} s", b["description"])
    _row(beats, "", Text.assemble(("REVERSAL ", "bold"), d["reversal"]))
    _row(beats, "end", Text.assemble(("CLIFFHANGER ", "bold"), d["cliffhanger"]))
    return beats


def script(d: dict[str, Any]) -> RenderableType:
    text = Text()
    text.append(f"EPISODE {d['episode']}: {d['title'].upper()}\n\n", style="bold")
    for scene in d["scenes"]:
        text.append(f"{scene['number']}. {scene['heading'].upper()}\n", style="bold")
        text.append(f"{scene['action']}\n\n")
        for line in scene["lines"]:
            text.append(f"{'':20}{line['speaker'].upper()}\n", style="bold")
            if line.get("parenthetical"):
                text.append(f"{'':15}({line['parenthetical']})\n", style="italic")
            text.append(f"{'':10}{line['text']}\n\n")
    return text


def shots(d: dict[str, Any]) -> RenderableType:
    table = Table(title="Shot list", show_lines=True, expand=True)
    for column in ("#", "Scene", "Framing", "Camera", "Secs", "Characters", "Lines", "Visual"):
        table.add_column(column)
    for s in d["shots"]:
        _row(
            table,
            str(s["number"]),
            str(s["scene"]),
            s["framing"],
            s["camera"],
            f"{s['duration_seconds']:g}",
            ", ".join(s["characters"]),
            ", ".join(map(str, s["lines"])),
            s["visual_prompt"],
        )
    total = sum(s["duration_seconds"] for s in d["shots"])
    table.caption = f"{len(d['shots'])} shots, {total:g} s"
    return table


def review(continuity: dict[str, Any], critique: dict[str, Any]) -> RenderableType:
    scores = ", ".join(f"{k} {v}" for k, v in critique["scores"].items())
    lines = [f"Editor: {critique['verdict']} ({scores})"]
    lines += [f"  - {n}" for n in critique["notes"]]
    issues = continuity["issues"]
    lines.append(f"Continuity: {len(issues)} issue(s)")
    for i in issues:
        lines.append(f"  - [{i['severity']}] scene {i['scene']}: {i['description']}")
        if i.get("evidence"):
            lines.append(f"    contradicts: {i['evidence']}")
    return Panel(Text("\n".join(lines)), title="Review")


RENDERERS = {"bible": bible, "outline": outline, "script": script, "shots": shots}


def time_table(rows: list[dict[str, Any]]) -> Table:
    """Where the model time went: per agent and task, answers, re-asks, tokens and seconds."""
    table = Table(title="Model time per agent")
    for column in ("Agent", "Task", "Answers", "Re-asks", "In", "Out", "Seconds", "Tokens/s"):
        table.add_column(column, justify="left" if column in ("Agent", "Task") else "right")
    for row in rows:
        rate = row["output_tokens"] / row["seconds"] if row["seconds"] else 0.0
        table.add_row(
            row["agent"],
            row["task"],
            str(row["calls"]),
            str(row["rejected"]),
            f"{row['input_tokens']:,}",
            f"{row['output_tokens']:,}",
            f"{row['seconds']:.1f}",
            f"{rate:.1f}",
        )
    return table
