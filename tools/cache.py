"""The content-addressed render cache and the cost ledger, in the series memory.

A call's key is the hash of its tool, its backend and its request, with every input file the
request names replaced by the hash of that file's bytes: the same call is never made (nor
paid) twice, and a changed input changes the key of everything made from it. Results are
kept once under `render/cache/`; the file a call names is a link to (or copy of) that blob.
Every call, made or found in the cache, is one row of the ledger.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel

from writersroom.tools.base import MediaResult

CHUNK = 1 << 20


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def place(blob: Path, target: Path) -> None:
    """Make `target` hold the bytes of `blob` (a hard link when the file system allows)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        os.link(blob, partial)
    except OSError:
        shutil.copyfile(blob, partial)
    partial.replace(target)


class RenderCache:
    """Render results by key, and the ledger of every call of one episode's run."""

    def __init__(
        self, db: sqlite_utils.Database, root: Path, episode: int, run: int | None = None
    ) -> None:
        """`run` numbers this run of the episode in the ledger; default the next one."""
        self.db = db
        self.blobs = root / "cache"
        self.episode = episode
        if run is None:
            last = db.execute("select max(run) from ledger where episode = ?", [episode]).fetchone()
            run = (last[0] or 0) + 1
        self.run = run
        self.replaying = False  # True: a call found in the cache is not written to the ledger

    def key(self, tool: str, backend: str, request: BaseModel, inputs: dict[str, Path]) -> str:
        material = {
            "tool": tool,
            "backend": backend,
            "request": request.model_dump(mode="json"),
            "inputs": {name: file_hash(path) for name, path in sorted(inputs.items())},
        }
        text = json.dumps(material, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def _found(self, key: str) -> tuple[MediaResult, Path] | None:
        rows = list(self.db.table("renders").rows_where("key = ?", [key]))
        if not rows:
            return None
        blob = self.blobs / rows[0]["file"]
        if not blob.exists():
            return None
        result = MediaResult(
            path=rows[0]["file"],
            duration_seconds=rows[0]["duration_seconds"],
            cost=rows[0]["cost"],
            meta=json.loads(rows[0]["meta"] or "{}"),
        )
        return result, blob

    def call(
        self,
        *,
        tool: str,
        backend: str,
        key: str,
        shot: int,
        call_id: str,
        target: Path,
        relative: str,
        make: Callable[[Path], MediaResult],
        price: float | None,
    ) -> tuple[MediaResult, bool]:
        """The result of a call, from the cache or by `make(out)`; placed at `target`.

        Returns the result (its path `relative`) and whether it came from the cache.
        """
        started = time.perf_counter()
        found = self._found(key)
        cached = found is not None
        if found is None:
            self.blobs.mkdir(parents=True, exist_ok=True)
            out = self.blobs / f"{key[:24]}{target.suffix}"
            work = out.with_name(f".{out.stem}.work{out.suffix}")
            made = make(work)
            work.replace(out)
            cost = made.cost if price is None else round(price * made.duration_seconds, 6)
            result = made.model_copy(update={"path": out.name, "cost": cost})
            with self.db.conn:
                self.db.table("renders").upsert(
                    {
                        "key": key,
                        "tool": tool,
                        "backend": backend,
                        "file": out.name,
                        "duration_seconds": result.duration_seconds,
                        "cost": cost,
                        "meta": json.dumps(result.meta, ensure_ascii=False),
                        "created_at": _now(),
                    },
                    pk="key",
                )
            blob = out
        else:
            result, blob = found
        place(blob, target)
        target.with_name(target.name + ".json").write_text(
            json.dumps(result.meta, ensure_ascii=False), encoding="utf-8"
        )
        if cached and self.replaying:
            return result.model_copy(update={"path": relative}), cached
        with self.db.conn:
            self.db.table("ledger").insert(
                {
                    "episode": self.episode,
                    "run": self.run,
                    "shot": shot,
                    "tool": tool,
                    "backend": backend,
                    "call_id": call_id,
                    "key": key,
                    "file": relative,
                    "duration_seconds": result.duration_seconds,
                    "cost": 0.0 if cached else result.cost,
                    "cached": int(cached),
                    "seconds": round(time.perf_counter() - started, 3),
                    "created_at": _now(),
                }
            )
        return result.model_copy(update={"path": relative}), cached


def sidecar(path: Path) -> dict[str, Any]:
    """The metadata a tool kept beside a file it made (face map, phoneme timings), or {}."""
    meta = path.with_name(path.name + ".json")
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
