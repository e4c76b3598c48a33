"""The series memory's tables: their ordered migrations (recorded in `_migrations`) and the
values of an episode's status. `open_database` brings any earlier release's file up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

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
    db.table("series").create(
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
    db.table("characters").create(
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
    db.table("episodes").create(
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
    db.table("drafts").create(
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
    db.table("drafts").create_index(["episode", "kind", "revision"], unique=True)
    db.table("decisions").create(
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
    db.table("decisions").create_index(["episode", "checkpoint", "revision"], unique=True)
    db.table("usage").create(
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
    db.table("facts").create(
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
    db.table("facts").create_index(["episode"], if_not_exists=True)
    db.table("facts").create_index(["character"], if_not_exists=True)
    db.table("scene_texts").create(
        {"episode": int, "scene": int, "heading": str, "present_at_end": str, "text": str},
        pk=("episode", "scene"),
        if_not_exists=True,
    )
    if "override" not in db.table("decisions").columns_dict:
        db.table("decisions").add_column("override", int, not_null_default=0)
    db.table("facts").enable_fts(["character", "subject", "text"], create_triggers=True)
    db.table("scene_texts").enable_fts(["heading", "text"], create_triggers=True)
    db.table("episodes").enable_fts(["title", "summary"], create_triggers=True)


@migration
def m003_production(db: sqlite_utils.Database) -> None:
    """Each character's drawing seed and voice, the render cache, the cost ledger, the cut."""
    for column in ("seed", "voice_id"):
        if column not in db.table("characters").columns_dict:
            db.table("characters").add_column(column, int if column == "seed" else str)
    for column, kind in (("calls", str), ("video", str), ("runtime_seconds", float)):
        if column not in db.table("episodes").columns_dict:
            db.table("episodes").add_column(column, kind)
    db.table("renders").create(
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
    db.table("ledger").create(
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
    db.table("ledger").create_index(["episode", "run"], if_not_exists=True)


@migration
def m004_usage_problem(db: sqlite_utils.Database) -> None:
    """Why an answer was rejected (empty: accepted), so that re-asks can be counted."""
    if "problem" not in db.table("usage").columns_dict:
        db.table("usage").add_column("problem", str, not_null_default="")


@migration
def m005_episode_status(db: sqlite_utils.Database) -> None:
    """Memory comes before media now: "shots approved" (written after the cut) splits into
    remembered and cut."""
    db.execute(
        "update episodes set status = case when video is null then ? else ? end"
        " where status = 'shots approved'",
        [EpisodeStatus.REMEMBERED.value, EpisodeStatus.CUT.value],
    )


@migration
def m006_provider_jobs(db: sqlite_utils.Database) -> None:
    """The provider tasks under way, by render key: a killed render polls its task again
    instead of paying for a new one; a failed task keeps the provider's reason, and the
    invocation (one `run`, `resume` or `render`) it failed in does not submit it again."""
    db.table("jobs").create(
        {
            "key": str,
            "backend": str,
            "task_id": str,
            "invocation": str,
            "status": str,  # pending | failed (a finished task's row goes with its render)
            "reason": str,
            "submitted_at": str,
        },
        pk="key",
        if_not_exists=True,
    )


@migration
def m007_character_sheets(db: sqlite_utils.Database) -> None:
    """Each character's reference sheet: per view, its file, the file's SHA-256 and the notes
    it was drawn with."""
    if "sheet" not in db.table("characters").columns_dict:
        db.table("characters").add_column("sheet", str)


@migration
def m008_usage_refused(db: sqlite_utils.Database) -> None:
    """A rejected answer's text beside why it was rejected: what a re-ask cost is readable."""
    if "refused" not in db.table("usage").columns_dict:
        db.table("usage").add_column("refused", str, not_null_default="")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied."""
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db.table("_migrations").rows}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            fn(db)
            db.table("_migrations").insert({"name": name, "applied_at": now()})
        applied.append(name)
    return applied


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_database(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db
