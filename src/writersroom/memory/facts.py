"""Series facts: what each approved episode established, searchable, and sliced for prompts.

`remember` writes an episode's facts, its scenes and its summary in one transaction, replacing
whatever an earlier (killed) attempt wrote, so a re-run never doubles or half-writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from writersroom.continuity.canon import Known, Opening
from writersroom.continuity.names import Names

THREAD = "thread"  # open threads are kept as facts of this kind, about no one
CHARS_PER_TOKEN = 4  # the budget's approximation: a token is about four characters
PRIORITY = {"state": 0, "possession": 1, "knowledge": 2, "relationship": 3, "appearance": 4}


class Facts:
    """The `facts`, `scene_texts` and episode summaries of the series memory."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def record_episode(
        self,
        episode: int,
        facts: list[tuple[Known, str]],
        scenes: list[dict[str, Any]],
        summary: str,
        threads: list[str],
        status: str,
    ) -> None:
        """Replace the episode's facts, scenes, summary and status, all in one transaction."""
        rows: list[dict[str, Any]] = [
            {
                "episode": episode,
                "scene": f.scene,
                "character": f.character,
                "kind": f.kind,
                "subject": f.subject,
                "value": f.value,
                "text": f.text,
                "found_by": found_by,
            }
            for f, found_by in facts
        ]
        rows += [
            {"episode": episode, "scene": None, "character": "", "kind": THREAD}
            | {"subject": "", "value": "", "text": thread, "found_by": "model"}
            for thread in threads
        ]
        with self._writing():
            self.db.table("facts").delete_where("episode = ?", [episode])
            self.db.table("facts").insert_all(rows)
            self.db.table("scene_texts").delete_where("episode = ?", [episode])
            self.db.table("scene_texts").insert_all(
                {"episode": episode, **s, "present_at_end": json.dumps(s["present_at_end"])}
                for s in scenes
            )
            self.db.table("episodes").upsert(
                {
                    "number": episode,
                    "summary": summary,
                    "status": status,
                    "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                pk="number",
            )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction that takes the write lock first (waiting for the checkpointer's
        connection if it writes), so it never fails halfway on a stale read snapshot."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.conn.commit()

    def facts(self, character: str | None = None, before: int | None = None) -> list[dict]:
        where = ["kind != ?"]
        args: list[str | int] = [THREAD]
        if character is not None:
            where.append("character = ? collate nocase")
            args.append(character.strip())
        if before is not None:
            where.append("episode < ?")
            args.append(before)
        return list(
            self.db.table("facts").rows_where(
                " and ".join(where), args, order_by="episode, scene, id"
            )
        )

    def known(self, before: int) -> list[Known]:
        return [
            Known(
                **{k: r[k] for k in ("episode", "scene", "character", "kind", "subject")},
                value=r["value"],
                text=r["text"],
            )
            for r in self.facts(before=before)
        ]

    def threads(self, before: int) -> list[str]:
        """The open threads of the latest earlier episode that left any."""
        rows = list(
            self.db.table("facts").rows_where(
                "kind = ? and episode < ?", [THREAD, before], order_by="episode desc, id"
            )
        )
        latest = rows[0]["episode"] if rows else None
        return [r["text"] for r in rows if r["episode"] == latest]

    def opening(self, episode: int) -> Opening | None:
        """The previous episode's last scene, which a CONTINUOUS first scene continues."""
        rows = list(
            self.db.table("scene_texts").rows_where(
                "episode = ?", [episode - 1], order_by="scene desc", limit=1
            )
        )
        if not rows:
            return None
        r = rows[0]
        return Opening(episode - 1, r["scene"], r["heading"], json.loads(r["present_at_end"]))

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Facts, scenes and summaries matching `query` (full-text), best first per kind."""
        found: list[dict[str, Any]] = []
        for row in self.db.table("facts").search(query, limit=limit, quote=True):
            where = "open thread" if row["kind"] == THREAD else f"{row['kind']} fact"
            found.append(_hit(where, row["episode"], row["scene"], row["text"]))
        for row in self.db.table("scene_texts").search(query, limit=limit, quote=True):
            found.append(_hit("scene", row["episode"], row["scene"], row["text"]))
        for row in self.db.table("episodes").search(query, limit=limit, quote=True):
            found.append(_hit("summary", row["number"], None, row["summary"] or ""))
        return found[:limit]


def _hit(where: str, episode: int, scene: int | None, text: str) -> dict[str, Any]:
    return {"where": where, "episode": episode, "scene": scene, "text": text}


def merge(model: list[Known], rules: list[Known]) -> list[tuple[Known, str]]:
    """The model's facts, then the rules' that add something, each with who found it."""
    seen = set()
    out = []
    for fact, found_by in [(f, "model") for f in model] + [(f, "rules") for f in rules]:
        who = "" if fact.kind == "possession" else fact.character.casefold()  # a prop is one
        key = (who, fact.kind, fact.subject.casefold(), fact.value.casefold())
        if key not in seen:
            seen.add(key)
            out.append((fact, found_by))
    return out


def recall(
    ledger: Facts,
    cast: list[str],
    episode: int,
    about: str,
    budget_tokens: int,
    cliffhanger: str = "",
) -> str:
    """The slice of memory an agent needs for `episode`, within `budget_tokens` (chars / 4).

    The cast members `about` names (all of them when it names none), their latest facts (the
    gravest first: dead, injured, lost props, secrets learned), the open threads and the last
    episode's cliffhanger.
    """
    names = Names(cast)
    wanted = {m.name for m in names.find(about)} or set(cast)
    latest: dict[tuple[str, str, str], dict] = {}
    for row in ledger.facts(before=episode):
        name = names.resolve(row["character"]) or row["character"]
        if name in wanted:
            key = (name, row["kind"], "" if row["kind"] == "state" else row["subject"].casefold())
            latest[key] = row
    lines = [f"The last episode ended: {cliffhanger}"] if cliffhanger else []
    ordered = sorted(latest.values(), key=lambda r: (PRIORITY.get(r["kind"], 9), r["episode"]))
    lines += [
        f"- {r['character']}: {r['text']} (episode {r['episode']}, scene {r['scene']})"
        for r in ordered
    ]
    lines += [f"- open thread: {thread}" for thread in ledger.threads(before=episode)]
    if not lines:
        return "(nothing is remembered yet: this is the first episode)"
    budget = budget_tokens * CHARS_PER_TOKEN
    kept: list[str] = []
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > budget:
            break
        kept.append(line)
    return "\n".join(kept) if kept else "(no room for memory in the prompt budget)"
