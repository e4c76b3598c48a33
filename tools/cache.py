"""The content-addressed render cache and the cost ledger, in the series memory.

A call's key is the hash of its tool, its backend and its request, with every input file the
request names replaced by the hash of that file's bytes: the same call is never made (nor
paid) twice, and a changed input changes the key of everything made from it. Results are
kept once under `render/cache/`; the file a call names is a link to (or copy of) that blob.
Every call, made or found in the cache, is one row of the ledger. A paid provider task's id is
in the `jobs` table before its first poll, so a killed render polls it instead of paying again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel

from writersroom.tools.base import MediaResult
from writersroom.tools.media import RenderError

CHUNK = 1 << 20


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def identity(backend: Any) -> str:
    """A backend as cache keys know it: its `identity` (its name, unless an option that changes
    what it makes is part of it); a revision that changes its output renews its keys."""
    named, revision = getattr(backend, "identity", backend.name), getattr(backend, "revision", 1)
    return named if revision == 1 else f"{named}@{revision}"


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


@dataclass
class Remote:
    """A paid job on a provider: `submit()` starts it and returns the provider's task id,
    `collect(task_id, out)` polls that task and downloads its result to `out`."""

    submit: Callable[[], str]
    collect: Callable[[str, Path], MediaResult]


Make = Callable[[Path], MediaResult] | Remote

# one lock per database: the caches of a season's episodes write to it from their threads at once
_LOCKS: weakref.WeakKeyDictionary[sqlite_utils.Database, threading.RLock] = (
    weakref.WeakKeyDictionary()
)
# key -> set when its making ends: the same call made ahead by two episodes at once is made once
_MAKING: dict[str, threading.Event] = {}
_MAKING_LOCK = threading.Lock()


@dataclass(frozen=True)
class Call:
    """One tool call as the ledger records it: its render key, and the file (relative to the
    episode's render folder; a character sheet's, to the render folder) it names."""

    tool: str
    backend: str
    key: str
    shot: int
    call_id: str
    relative: str


class RenderCache:
    """Render results by key, the provider tasks under way, and the ledger of every call of
    one episode's run. Thread-safe: independent calls are made at once (`ahead`)."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        root: Path,
        episode: int,
        run: int | None = None,
        invocation: str | None = None,
    ) -> None:
        """`run` numbers this run of the episode in the ledger; default the next one.
        `invocation` is the command carrying it out (default: this cache alone): a provider
        task that failed in it is not submitted again until another is asked for."""
        self.db = db
        self.root = root
        self.blobs = root / "cache"
        self.episode = episode
        if run is None:
            last = db.execute("select max(run) from ledger where episode = ?", [episode]).fetchone()
            run = (last[0] or 0) + 1
        self.run = run
        self.invocation = invocation or uuid.uuid4().hex
        self.replaying = False  # True: a call found in the cache is not written to the ledger
        self._lock = _LOCKS.setdefault(db, threading.RLock())
        # key -> (result, blob) made ahead of its call, or the error making it raised
        self._ahead: dict[str, tuple[MediaResult, Path] | Exception] = {}

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
        with self._lock:
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

    def has(self, key: str) -> bool:
        """Whether the result of `key` is in the cache (a call of it pays nothing)."""
        return self._found(key) is not None

    def _task(self, key: str, backend: str, remote: Remote) -> str:
        """The provider's task for `key`: one still pending (a killed run's) is polled again,
        never submitted again; a new one is in the database before its first poll."""
        with self._lock:
            rows = list(self.db.table("jobs").rows_where("key = ?", [key]))
        if rows and rows[0]["status"] == "pending":
            return rows[0]["task_id"]
        if rows and rows[0]["invocation"] == self.invocation:  # retried only when asked
            raise RenderError(
                f"{backend}: task {rows[0]['task_id']} failed: {rows[0]['reason']} "
                "(render the episode again to retry it)"
            )
        task = remote.submit()
        with self._lock, self.db.conn:
            self.db.table("jobs").upsert(
                {
                    "key": key,
                    "backend": backend,
                    "task_id": task,
                    "invocation": self.invocation,
                    "status": "pending",
                    "reason": "",
                    "submitted_at": _now(),
                },
                pk="key",
            )
        return task

    def _make(self, call: Call, make: Make, price: float | None) -> tuple[MediaResult, Path]:
        """Make a call's result into the cache; its render and its paid ledger row are written
        together, so a killed render never leaves a paid job out of the ledger."""
        started = time.perf_counter()
        self.blobs.mkdir(parents=True, exist_ok=True)
        out = self.blobs / f"{call.key[:24]}{Path(call.relative).suffix}"
        work = out.with_name(f".{out.stem}.work{out.suffix}")
        if isinstance(make, Remote):
            task = self._task(call.key, call.backend, make)
            try:
                made = make.collect(task, work)
            except RenderError as exc:
                with self._lock, self.db.conn:
                    self.db.table("jobs").update(call.key, {"status": "failed", "reason": str(exc)})
                raise
        else:
            made = make(work)
        work.replace(out)
        cost = made.cost if price is None else round(price * made.duration_seconds, 6)
        result = made.model_copy(update={"path": out.name, "cost": cost})
        with self._lock, self.db.conn:
            self.db.table("renders").upsert(
                {
                    "key": call.key,
                    "tool": call.tool,
                    "backend": call.backend,
                    "file": out.name,
                    "duration_seconds": result.duration_seconds,
                    "cost": cost,
                    "meta": json.dumps(result.meta, ensure_ascii=False),
                    "created_at": _now(),
                },
                pk="key",
            )
            self.db.execute("delete from jobs where key = ?", [call.key])
            self._ledger(call, result, cached=False, seconds=time.perf_counter() - started)
        return result, out

    def _ledger(self, call: Call, result: MediaResult, cached: bool, seconds: float) -> None:
        self.db.table("ledger").insert(
            {
                "episode": self.episode,
                "run": self.run,
                "shot": call.shot,
                "tool": call.tool,
                "backend": call.backend,
                "call_id": call.call_id,
                "key": call.key,
                "file": call.relative,
                "duration_seconds": result.duration_seconds,
                "cost": 0.0 if cached else result.cost,
                "cached": int(cached),
                "seconds": round(seconds, 3),
                "created_at": _now(),
            }
        )

    def ahead(self, call: Call, make: Make, price: float | None) -> None:
        """Make a call's result before its turn, at the same time as others: the call, when
        it is carried out, takes it instead of making it (or raises the error making it
        raised)."""
        with self._lock:
            if call.key in self._ahead:
                return
        with _MAKING_LOCK:
            making = _MAKING.get(call.key)
            if making is None:
                _MAKING[call.key] = mine = threading.Event()
        if making is not None:  # another episode's cache makes it: its turn finds it made
            making.wait()
            return
        try:
            if self._found(call.key) is not None:
                return
            try:
                made: tuple[MediaResult, Path] | Exception = self._make(call, make, price)
            except Exception as exc:  # raised again when the call is carried out
                made = exc
            with self._lock:
                self._ahead[call.key] = made
        finally:
            with _MAKING_LOCK:
                del _MAKING[call.key]
            mine.set()

    def call(
        self, call: Call, target: Path, make: Make, price: float | None, again: bool = False
    ) -> tuple[MediaResult, bool]:
        """The result of a call, made ahead, from the cache or made now; placed at `target`.
        `again`: made now even when the cache holds it (a person asked for another take), the
        new result taking the key's place in the cache.

        Returns the result (its path the call's `relative`) and whether it came from the cache.
        """
        started = time.perf_counter()
        with self._lock:
            ahead = self._ahead.pop(call.key, None)
        if isinstance(ahead, Exception):
            raise ahead
        found = self._found(call.key) if ahead is None and not again else None
        if ahead is not None:
            result, blob = ahead
        elif found is not None:
            result, blob = found
        else:
            result, blob = self._make(call, make, price)
        place(blob, target)
        target.with_name(target.name + ".json").write_text(
            json.dumps(result.meta, ensure_ascii=False), encoding="utf-8"
        )
        cached = found is not None
        if cached and not self.replaying:
            with self._lock, self.db.conn:
                self._ledger(call, result, cached=True, seconds=time.perf_counter() - started)
        return result.model_copy(update={"path": call.relative}), cached


def sidecar(path: Path) -> dict[str, Any]:
    """The metadata a tool kept beside a file it made (face map, phoneme timings), or {}."""
    meta = path.with_name(path.name + ".json")
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
