"""What an eval scores: an episode's drafts and its room's record, from a project folder, a JSON
script (or bundle of drafts) or a Fountain screenplay.

Drafts are kept as plain JSON dicts, so a draft that does not validate can still be measured
(and is reported by the schema-validity metric).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from writersroom.config import DATABASE_FILE
from writersroom.errors import InputError
from writersroom.evals.cut import read_subtitles
from writersroom.memory import costs
from writersroom.screenplay import fountain

BUNDLE_KEYS = ("script", "outline", "shots", "bible", "continuity")


@dataclass
class Episode:
    """One episode to score. Only `script` is required; the rest is there when the room wrote it."""

    id: str
    source: str
    script: dict[str, Any]
    premise: str = ""
    outline: dict[str, Any] | None = None
    shots: dict[str, Any] | None = None
    bible: dict[str, Any] | None = None
    continuity: list[dict[str, Any]] = field(default_factory=list)  # every report, in order
    critiques: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)  # kind, revision, agent
    decisions: list[dict[str, Any]] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)  # the room's usage rows
    renders: list[dict[str, Any]] = field(default_factory=list)  # the render ledger's rows
    video_seconds: float | None = None  # the cut episode's runtime
    subtitles: list[dict[str, Any]] = field(default_factory=list)  # the cut's cues, timed
    from_room: bool = False


def script_text(script: dict[str, Any]) -> str:
    """A script as screenplay-like plain text, for a judge to read."""
    out = [f"Title: {script.get('title', '')}"]
    for scene in script.get("scenes", []):
        out += [
            "",
            f"{scene.get('number', '')}. {scene.get('heading', '')}",
            scene.get("action", ""),
        ]
        for line in scene.get("lines", []):
            paren = f" ({line['parenthetical']})" if line.get("parenthetical") else ""
            out.append(f"{line.get('speaker', '').upper()}{paren}: {line.get('text', '')}")
    return "\n".join(out)


def _rows(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, args)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _latest(conn: sqlite3.Connection, episode: int, kind: str) -> dict[str, Any] | None:
    rows = _rows(
        conn,
        "select content from drafts where episode = ? and kind = ? order by revision desc limit 1",
        (episode, kind),
    )
    return json.loads(rows[0]["content"]) if rows else None


def _all(conn: sqlite3.Connection, episode: int, kind: str) -> list[dict[str, Any]]:
    rows = _rows(
        conn,
        "select content from drafts where episode = ? and kind = ? order by revision",
        (episode, kind),
    )
    return [json.loads(r["content"]) for r in rows]


def from_project(folder: Path, prefix: str = "") -> list[Episode]:
    """Every episode of a project folder that has a script, read without changing the database."""
    path = folder / DATABASE_FILE
    if not path.is_file():
        raise InputError(f"{folder} is not a writersroom project (no {DATABASE_FILE})")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        series = _rows(conn, "select premise, bible from series where id = 1")
        premise = series[0]["premise"] if series else ""
        bible = _latest(conn, 0, "bible")
        episodes = []
        for row in _rows(conn, "select * from episodes order by number"):
            number = row["number"]
            script = json.loads(row["script"]) if row["script"] else _latest(conn, number, "script")
            if script is None:
                continue
            outline = json.loads(row["outline"]) if row["outline"] else None
            episodes.append(
                Episode(
                    id=f"{prefix or folder.name}-ep{number}",
                    source=str(folder),
                    script=script,
                    premise=premise,
                    outline=outline or _latest(conn, number, "outline"),
                    shots=json.loads(row["shots"])
                    if row["shots"]
                    else _latest(conn, number, "shots"),
                    bible=json.loads(series[0]["bible"])
                    if series and series[0]["bible"]
                    else bible,
                    continuity=_all(conn, number, "continuity"),
                    critiques=_all(conn, number, "critique"),
                    drafts=_rows(
                        conn,
                        "select kind, revision, agent from drafts where episode in (0, ?)"
                        " order by id",
                        (number,),
                    ),
                    decisions=_rows(
                        conn, "select * from decisions where episode = ? order by id", (number,)
                    ),
                    usage=_rows(
                        conn, "select * from usage where episode = ? order by id", (number,)
                    ),
                    renders=costs.calls(sqlite_utils.Database(conn), number),
                    video_seconds=row.get("runtime_seconds"),
                    subtitles=read_subtitles(folder, number),
                    from_room=True,
                )
            )
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: cannot read the project database ({exc})") from None
    finally:
        conn.close()
    return episodes


def usage_rows(folder: Path) -> list[dict[str, Any]]:
    """Every model call a project folder's room made (none when it has no database yet)."""
    path = folder / DATABASE_FILE
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r["name"] for r in _rows(conn, "select name from sqlite_master")}
        return _rows(conn, "select * from usage order by id") if "usage" in tables else []
    finally:
        conn.close()


def from_json(path: Path) -> Episode:
    """A script as JSON, or a bundle {"script": ..., "outline": ..., "shots": ..., ...}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not a JSON script ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object (a script or a bundle of drafts)")
    bundle = data if isinstance(data.get("script"), dict) else {"script": data}
    if not isinstance(bundle["script"].get("scenes"), list):
        raise InputError(f"{path}: the script has no list of scenes")
    continuity = bundle.get("continuity")
    return Episode(
        id=path.stem,
        source=str(path),
        script=bundle["script"],
        premise=str(bundle.get("premise", "")),
        outline=bundle.get("outline"),
        shots=bundle.get("shots"),
        bible=bundle.get("bible"),
        continuity=[continuity] if isinstance(continuity, dict) else list(continuity or []),
    )


def from_fountain(path: Path) -> Episode:
    """A Fountain screenplay (through `screenplay.fountain`), every scene and line kept."""
    play = fountain.read_script_file(path)
    scenes = []
    for s in play.scenes:
        action = "\n\n".join(e.text for e in s.elements if isinstance(e, fountain.Action))
        lines = [
            {"speaker": d.speaker, "text": d.text, "parenthetical": d.parenthetical}
            for d in s.dialogue()
        ]
        scenes.append({"number": s.number, "heading": s.heading, "action": action, "lines": lines})
    script = {"episode": play.episode() or 1, "title": play.title or path.stem, "scenes": scenes}
    return Episode(id=path.stem, source=str(path), script=script)


def load(path: Path) -> list[Episode]:
    """The episodes at `path`: a project folder, a .json script or a .fountain screenplay."""
    if path.is_dir():
        return from_project(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    if path.suffix.lower() == ".json":
        return [from_json(path)]
    if path.suffix.lower() in (".fountain", ".spmd", ".txt"):
        return [from_fountain(path)]
    raise InputError(f"{path}: score a project folder, a .json script or a .fountain screenplay")
