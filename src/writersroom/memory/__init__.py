"""Series memory: the project's SQLite database, through sqlite-utils.

One file per project holds the series, its characters and episodes, every draft revision,
every decision, and token usage per agent and model (`Memory`, here); what episodes established
(`facts`); what rendering cost (`costs`). Its tables and their migrations are in `schema`.
LangGraph's checkpoints live in the same file (see `writersroom.room.project`).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from writersroom.memory.schema import MIGRATIONS, EpisodeStatus, migrate, now, open_database

__all__ = ["MIGRATIONS", "EpisodeStatus", "Memory", "migrate", "open_database"]


class Memory:
    """Reads and writes the series memory. Every write is idempotent for a re-run node."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # series -----------------------------------------------------------------
    def start_series(self, premise: str) -> None:
        with self.db.conn:
            self.db.table("series").insert(
                {
                    "id": 1,
                    "premise": premise,
                    "title": None,
                    "bible": None,
                    "current_episode": 1,
                    "created_at": now(),
                },
            )

    def series(self) -> dict[str, Any] | None:
        rows = list(self.db.table("series").rows_where("id = 1"))
        return rows[0] if rows else None

    def set_current_episode(self, number: int) -> None:
        with self.db.conn:
            self.db.table("series").update(1, {"current_episode": number})

    def save_bible(self, bible: dict[str, Any]) -> None:
        """Store the approved bible and its cast."""
        with self.db.conn:
            self.db.table("series").update(1, {"title": bible["title"], "bible": json.dumps(bible)})
            self.db.table("characters").delete_where()
            self.db.table("characters").insert_all(
                {**c, "secrets": json.dumps(c.get("secrets", []))} for c in bible["characters"]
            )

    def bible(self) -> dict[str, Any] | None:
        row = self.series()
        return json.loads(row["bible"]) if row and row["bible"] else None

    def sheets(self) -> dict[str, dict[str, dict[str, str]]]:
        """Each character's reference sheet: view -> its file (in the render folder), the
        file's SHA-256 and the notes it was drawn with ("" for none)."""
        sheets = {}
        for row in self.db.table("characters").rows:
            if sheet := json.loads(row.get("sheet") or "{}"):
                sheets[row["name"]] = {
                    view: {"notes": "", **entry} for view, entry in sheet.items()
                }
        return sheets

    # episodes ---------------------------------------------------------------
    def upsert_episode(self, number: int, **fields: Any) -> None:
        encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in fields.items()}
        with self.db.conn:
            self.db.table("episodes").upsert(
                {"number": number, **encoded, "updated_at": now()}, pk="number"
            )

    def episode(self, number: int) -> dict[str, Any] | None:
        rows = list(self.db.table("episodes").rows_where("number = ?", [number]))
        return rows[0] if rows else None

    def episodes(self) -> list[dict[str, Any]]:
        return list(self.db.table("episodes").rows_where(order_by="number"))

    def summaries(self, before: int) -> list[dict[str, Any]]:
        """Earlier episodes' titles and summaries, in order."""
        return [
            {"number": r["number"], "title": r["title"], "summary": r["summary"]}
            for r in self.db.table("episodes").rows_where("number < ?", [before], order_by="number")
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
            self.db.table("drafts").upsert(
                {
                    "episode": episode,
                    "kind": kind,
                    "revision": revision,
                    "content": json.dumps(content, ensure_ascii=False),
                    "agent": agent,
                    "model": model,
                    "created_at": now(),
                },
                pk=("episode", "kind", "revision"),
            )

    def draft(self, episode: int, kind: str, revision: int | None = None) -> dict[str, Any] | None:
        where, args = "episode = ? and kind = ?", [episode, kind]
        if revision is not None:
            where, args = where + " and revision = ?", [*args, revision]
        rows = list(
            self.db.table("drafts").rows_where(where, args, order_by="revision desc", limit=1)
        )
        return {**rows[0], "content": json.loads(rows[0]["content"])} if rows else None

    def revisions(self, episode: int, kind: str) -> list[int]:
        return [
            r["revision"]
            for r in self.db.table("drafts").rows_where(
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
            self.db.table("decisions").upsert(
                {
                    "episode": episode,
                    "checkpoint": checkpoint,
                    "revision": revision,
                    "action": action,
                    "notes": notes,
                    "by": by,
                    "override": int(override),
                    "created_at": now(),
                },
                pk=("episode", "checkpoint", "revision"),
            )

    def decisions(self, episode: int | None = None) -> list[dict[str, Any]]:
        if episode is None:
            return list(self.db.table("decisions").rows_where(order_by="id"))
        return list(self.db.table("decisions").rows_where("episode = ?", [episode], order_by="id"))

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
        refused: str = "",
    ) -> None:
        with self.db.conn:
            self.db.table("usage").insert(
                {
                    "episode": episode,
                    "agent": agent,
                    "model": model,
                    "task": task,
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "seconds": round(seconds, 3),
                    "created_at": now(),
                    "problem": problem,
                    "refused": refused,
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
