"""Results cached per item and judge in `evals.db` in an output folder, so a killed eval
continues where it stopped; and the bounded pool that evaluates items concurrently."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writersroom.errors import WritersroomError

CACHE_FILE = "evals.db"
Progress = Callable[[str], None]


class ResultCache:
    """One row per (item, kind, judge, version); `version` fingerprints prompt and rubric."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / CACHE_FILE
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        with self._conn:
            self._conn.execute(
                "create table if not exists results (item text, kind text, judge text,"
                " version text, value text, created_at text,"
                " primary key (item, kind, judge, version))"
            )

    def get(self, item: str, kind: str, judge: str, version: str) -> Any | None:
        with self._lock:
            row = self._conn.execute(
                "select value from results where item=? and kind=? and judge=? and version=?",
                (item, kind, judge, version),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, item: str, kind: str, judge: str, version: str, value: Any) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._conn:
            self._conn.execute(
                "insert or replace into results values (?, ?, ?, ?, ?, ?)",
                (item, kind, judge, version, json.dumps(value, ensure_ascii=False), stamp),
            )

    def count(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return self._conn.execute("select count(*) from results").fetchone()[0]
            sql = "select count(*) from results where kind = ?"
            return self._conn.execute(sql, (kind,)).fetchone()[0]

    def close(self) -> None:
        self._conn.close()


def map_cached(
    cache: ResultCache,
    work: Iterable[tuple[str, Callable[[], Any]]],
    kind: str,
    judge: str,
    version: str,
    jobs: int,
    progress: Progress,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Compute each (item, function) not yet cached, at most `jobs` at a time.

    Returns the results by item (cached and new) and the failures by item with their error.
    A failure is not cached: the next run tries that item again.
    """
    results: dict[str, Any] = {}
    failures: dict[str, str] = {}
    todo = []
    for item, compute in work:
        hit = cache.get(item, kind, judge, version)
        if hit is None:
            todo.append((item, compute))
        else:
            results[item] = hit
    if results:
        progress(f"{kind}: {len(results)} cached, {len(todo)} to do")
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures: dict[Future[Any], str] = {pool.submit(fn): item for item, fn in todo}
        for done, future in enumerate(as_completed(futures), 1):
            item = futures[future]
            try:
                value = future.result()
            except WritersroomError as exc:
                failures[item] = str(exc)
                progress(f"{kind} {done}/{len(todo)} {item}: FAILED {exc}")
                continue
            cache.put(item, kind, judge, version, value)
            results[item] = value
            progress(f"{kind} {done}/{len(todo)} {item}: done")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results, failures
