"""Series memory: the project's SQLite database, through sqlite-utils.

One file per project holds the series, its characters and episodes, every draft revision,
every decision, and token usage per agent and model. LangGraph's checkpoints live in the
same file (see `runner.py`). Schema changes are ordered migrations recorded in `_migrations`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


class EpisodeStatus(StrEnum):
    """Where an episode stands (the `status` column of `episodes`)."""

    IN_PROGRESS = "in progress"  # being written: a checkpoint or a step is ahead
    REMEMBERED = "remembered"  # script and shots approved, its facts in series memory
    CUT = "cut"  # produced too: its episode.mp4 is made


MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db["series"].create(
        {
            "id": int,
            "premise": str,
            "title": str,
            "bible": str,
            "current_episode": int,
            "created_at": str,
        },
        pk="id",
    )
    db["characters"].create(
        {
            "name": str,
            "role": str,
            "age": int,
            "look": str,
            "voice": str,
            "arc": str,
            "secrets": str,
        },
        pk="name",
    )
    db["episodes"].create(
        {
            "number": int,
            "title": str,
            "status": str,
            "auto": int,
            "models": str,
            "outline": str,
            "script": str,
            "shots": str,
            "summary": str,
            "updated_at": str,
        },
        pk="number",
    )
    db["drafts"].create(
        {
            "id": int,
            "episode": int,
            "kind": str,
            "revision": int,
            "content": str,
            "agent": str,
            "model": str,
            "created_at": str,
        },
        pk="id",
    )
    db["drafts"].create_index(["episode", "kind", "revision"], unique=True)
    db["decisions"].create(
        {
            "id": int,
            "episode": int,
            "checkpoint": str,
            "revision": int,
            "action": str,
            "notes": str,
            "by": str,
            "created_at": str,
        },
        pk="id",
    )
    db["decisions"].create_index(["episode", "checkpoint", "revision"], unique=True)
    db["usage"].create(
        {
            "id": int,
            "episode": int,
            "agent": str,
            "model": str,
            "task": str,
            "input_tokens": int,
            "output_tokens": int,
            "seconds": float,
            "created_at": str,
        },
        pk="id",
    )


@migration
def m002_facts_ledger(db: sqlite_utils.Database) -> None:
    """The facts ledger, each approved script's scenes, full-text search, decision overrides.

    Safe to apply again after a partial run: enable_fts commits as it goes.
    """
    db["facts"].create(
        {
            "id": int,
            "episode": int,
            "scene": int,
            "character": str,
            "kind": str,
            "subject": str,
            "value": str,
            "text": str,
            "found_by": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["facts"].create_index(["episode"], if_not_exists=True)
    db["facts"].create_index(["character"], if_not_exists=True)
    db["scene_texts"].create(
        {"episode": int, "scene": int, "heading": str, "present_at_end": str, "text": str},
        pk=("episode", "scene"),
        if_not_exists=True,
    )
    if "override" not in db["decisions"].columns_dict:
        db["decisions"].add_column("override", int, not_null_default=0)
    db["facts"].enable_fts(["character", "subject", "text"], create_triggers=True)
    db["scene_texts"].enable_fts(["heading", "text"], create_triggers=True)
    db["episodes"].enable_fts(["title", "summary"], create_triggers=True)


@migration
def m003_production(db: sqlite_utils.Database) -> None:
    """Each character's drawing seed and voice, the render cache, the cost ledger, the cut."""
    for column in ("seed", "voice_id"):
        if column not in db["characters"].columns_dict:
            db["characters"].add_column(column, int if column == "seed" else str)
    for column, kind in (("calls", str), ("video", str), ("runtime_seconds", float)):
        if column not in db["episodes"].columns_dict:
            db["episodes"].add_column(column, kind)
    db["renders"].create(
        {
            "key": str,
            "tool": str,
            "backend": str,
            "file": str,
            "duration_seconds": float,
            "cost": float,
            "meta": str,
            "created_at": str,
        },
        pk="key",
        if_not_exists=True,
    )
    db["ledger"].create(
        {
            "id": int,
            "episode": int,
            "run": int,
            "shot": int,
            "tool": str,
            "backend": str,
            "call_id": str,
            "key": str,
            "file": str,
            "duration_seconds": float,
            "cost": float,
            "cached": int,
            "seconds": float,
            "created_at": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["ledger"].create_index(["episode", "run"], if_not_exists=True)


@migration
def m004_usage_problem(db: sqlite_utils.Database) -> None:
    """Why an answer was rejected (empty: accepted), so that re-asks can be counted."""
    if "problem" not in db["usage"].columns_dict:
        db["usage"].add_column("problem", str, not_null_default="")


@migration
def m005_episode_status(db: sqlite_utils.Database) -> None:
    """Memory comes before media now: "shots approved" (written after the cut) splits into
    remembered and cut."""
    db.execute(
        "update episodes set status = case when video is null then ? else ? end"
        " where status = 'shots approved'",
        [EpisodeStatus.REMEMBERED.value, EpisodeStatus.CUT.value],
    )


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            fn(db)
            db["_migrations"].insert({"name": name, "applied_at": _now()})
        applied.append(name)
    return applied


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_database(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


class Memory:
    """Reads and writes the series memory. Every write is idempotent for a re-run node."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # series -----------------------------------------------------------------
    def start_series(self, premise: str) -> None:
        with self.db.conn:
            self.db["series"].insert(
                {
                    "id": 1,
                    "premise": premise,
                    "title": None,
                    "bible": None,
                    "current_episode": 1,
                    "created_at": _now(),
                },
            )

    def series(self) -> dict[str, Any] | None:
        rows = list(self.db["series"].rows_where("id = 1"))
        return rows[0] if rows else None

    def set_current_episode(self, number: int) -> None:
        with self.db.conn:
            self.db["series"].update(1, {"current_episode": number})

    def save_bible(self, bible: dict[str, Any]) -> None:
        """Store the approved bible and its cast."""
        with self.db.conn:
            self.db["series"].update(1, {"title": bible["title"], "bible": json.dumps(bible)})
            self.db["characters"].delete_where()
            self.db["characters"].insert_all(
                {**c, "secrets": json.dumps(c.get("secrets", []))} for c in bible["characters"]
            )

    def bible(self) -> dict[str, Any] | None:
        row = self.series()
        return json.loads(row["bible"]) if row and row["bible"] else None

    # episodes ---------------------------------------------------------------
    def upsert_episode(self, number: int, **fields: Any) -> None:
        encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in fields.items()}
        with self.db.conn:
            self.db["episodes"].upsert(
                {"number": number, **encoded, "updated_at": _now()}, pk="number"
            )

    def episode(self, number: int) -> dict[str, Any] | None:
        rows = list(self.db["episodes"].rows_where("number = ?", [number]))
        return rows[0] if rows else None

    def episodes(self) -> list[dict[str, Any]]:
        return list(self.db["episodes"].rows_where(order_by="number"))

    def summaries(self, before: int) -> list[dict[str, Any]]:
        """Earlier episodes' titles and summaries, in order."""
        return [
            {"number": r["number"], "title": r["title"], "summary": r["summary"]}
            for r in self.db["episodes"].rows_where("number < ?", [before], order_by="number")
        ]

    # drafts and decisions ---------------------------------------------------
    def save_draft(
        self,
        episode: int,
        kind: str,
        revision: int,
        content: dict[str, Any],
        agent: str,
        model: str,
    ) -> None:
        with self.db.conn:
            self.db["drafts"].upsert(
                {
                    "episode": episode,
                    "kind": kind,
                    "revision": revision,
                    "content": json.dumps(content, ensure_ascii=False),
                    "agent": agent,
                    "model": model,
                    "created_at": _now(),
                },
                pk=("episode", "kind", "revision"),
            )

    def draft(self, episode: int, kind: str, revision: int | None = None) -> dict[str, Any] | None:
        where, args = "episode = ? and kind = ?", [episode, kind]
        if revision is not None:
            where, args = where + " and revision = ?", [*args, revision]
        rows = list(self.db["drafts"].rows_where(where, args, order_by="revision desc", limit=1))
        return {**rows[0], "content": json.loads(rows[0]["content"])} if rows else None

    def revisions(self, episode: int, kind: str) -> list[int]:
        return [
            r["revision"]
            for r in self.db["drafts"].rows_where(
                "episode = ? and kind = ?", [episode, kind], order_by="revision"
            )
        ]

    def record_decision(
        self,
        episode: int,
        checkpoint: str,
        revision: int,
        action: str,
        notes: str,
        by: str,
        override: bool = False,
    ) -> None:
        with self.db.conn:
            self.db["decisions"].upsert(
                {
                    "episode": episode,
                    "checkpoint": checkpoint,
                    "revision": revision,
                    "action": action,
                    "notes": notes,
                    "by": by,
                    "override": int(override),
                    "created_at": _now(),
                },
                pk=("episode", "checkpoint", "revision"),
            )

    def decisions(self, episode: int | None = None) -> list[dict[str, Any]]:
        if episode is None:
            return list(self.db["decisions"].rows_where(order_by="id"))
        return list(self.db["decisions"].rows_where("episode = ?", [episode], order_by="id"))

    # usage ------------------------------------------------------------------
    def record_usage(
        self,
        episode: int,
        agent: str,
        model: str,
        task: str,
        input_tokens: int,
        output_tokens: int,
        seconds: float,
        problem: str = "",
    ) -> None:
        with self.db.conn:
            self.db["usage"].insert(
                {
                    "episode": episode,
                    "agent": agent,
                    "model": model,
                    "task": task,
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "seconds": round(seconds, 3),
                    "created_at": _now(),
                    "problem": problem,
                },
            )

    def usage_by_task(self) -> list[dict[str, Any]]:
        """Per agent and task: answers asked for, answers rejected, tokens and seconds."""
        return list(
            self.db.query(
                "select agent, task, count(*) as calls, sum(problem != '') as rejected,"
                " sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,"
                " round(sum(seconds), 1) as seconds from usage group by agent, task"
                " order by min(id)"
            )
        )

    def usage_by_agent(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select agent, model, count(*) as calls, sum(input_tokens) as input_tokens,"
                " sum(output_tokens) as output_tokens, round(sum(seconds), 2) as seconds"
                " from usage group by agent, model order by agent"
            )
        )
