"""The cost ledger: one row per production tool call of every render run (`ledger`), made or
found in the cache, the views of the characters' sheets included; what each made file cost is
in `renders`. The render cache writes both
(`writersroom.tools.cache`); what they add up to is read here."""

from __future__ import annotations

from typing import Any

import sqlite_utils

# what a call at shot 0 (no shot) is, by its tool: the episode's cut, a view of a sheet
NO_SHOT = {"assemble": "cut", "draw_character": "sheets"}


def run_totals(db: sqlite_utils.Database, episode: int, run: int) -> tuple[int, int, float]:
    """One render run of an episode: its calls, how many came from the cache, and its cost."""
    calls, cached, cost = db.execute(
        "select count(*), sum(cached), sum(cost) from ledger where episode = ? and run = ?",
        [episode, run],
    ).fetchone()
    return calls, cached or 0, cost or 0.0


def by_shot(db: sqlite_utils.Database, episode: int | None = None) -> list[dict[str, Any]]:
    """Calls, calls made and cost per episode, shot, tool and backend (shot 0: `NO_SHOT`)."""
    where, args = ("where episode = ?", [episode]) if episode else ("", [])
    return list(
        db.query(
            "select episode, shot, tool, backend, count(*) as calls,"
            " sum(1 - cached) as made, round(sum(cost), 6) as cost from ledger"
            f" {where} group by episode, shot, tool, backend order by episode, shot, tool",
            args,
        )
    )


def by_episode(db: sqlite_utils.Database) -> dict[int, dict[str, Any]]:
    """Calls, calls made and cost of every episode rendered."""
    return {
        row["episode"]: row
        for row in db.query(
            "select episode, count(*) as calls, sum(1 - cached) as made,"
            " round(sum(cost), 4) as cost from ledger group by episode"
        )
    }


def calls(db: sqlite_utils.Database, episode: int) -> list[dict[str, Any]]:
    """Every call of an episode's render runs (empty before any render)."""
    if "ledger" not in db.table_names():
        return []
    return list(
        db.query(
            "select tool, backend, cost, cached, seconds, run, shot, duration_seconds"
            " from ledger where episode = ?",
            [episode],
        )
    )
