"""Renders at studio scale: a shot list's videos as provider tasks at once, bounded per backend,
and paid tasks that survive a killed render.

The provider (`fake_video_provider`) is a loopback server speaking DashScope's video-synthesis
API whose jobs take two seconds each; overlap and bounds are read from the server's own clock,
not from the test's.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import make_project, rows, wr
from fake_video_provider import PRICE, SHOTS, TimedProvider, render_shots

from writersroom.memory import open_database
from writersroom.tools.base import MediaResult
from writersroom.tools.cache import Call, Remote, RenderCache
from writersroom.tools.media import RenderError, probe


def paid_rows(project: Path) -> list[dict[str, Any]]:
    db = open_database(project / "writersroom.db")
    return list(db.query("select shot, cost, cached from ledger order by shot"))


def jobs(database: Path) -> int:
    """The provider tasks the render has recorded (0 before its database is made)."""
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("select count(*) from jobs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_a_shot_lists_videos_render_at_once_within_the_backends_bound(
    timed_provider: TimedProvider, tmp_path: Path
) -> None:
    render_shots(str(tmp_path), timed_provider.base_url)

    assert len(timed_provider.tasks) == SHOTS
    assert sorted(t["prompt"].split(".")[0] for t in timed_provider.tasks.values()) == sorted(
        f"shot {n}" for n in range(1, SHOTS + 1)
    )
    assert all(t["collected"] is not None for t in timed_provider.tasks.values())
    assert timed_provider.most_in_flight() == 4  # four jobs overlapped, never more
    assert paid_rows(tmp_path) == [
        {"shot": n, "cost": PRICE, "cached": 0} for n in range(1, SHOTS + 1)
    ]
    for n in range(1, SHOTS + 1):
        clip = probe(tmp_path / "render" / "episode-01" / f"shot-{n:02d}" / "video.mp4")
        assert (clip["width"], clip["height"]) == (720, 1280)
        assert clip["duration"] == pytest.approx(3.0, abs=0.05)


def test_a_render_killed_while_tasks_are_pending_polls_them_instead_of_paying_again(
    timed_provider: TimedProvider, tmp_path: Path
) -> None:
    timed_provider.held = True
    here = Path(__file__).parent
    code = (
        f"import sys; sys.path.insert(0, {str(here)!r}); "
        f"from fake_video_provider import render_shots; "
        f"render_shots({str(tmp_path)!r}, {timed_provider.base_url!r})"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    database = tmp_path / "writersroom.db"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and jobs(database) < 4:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert len(timed_provider.tasks) == 4  # the bound: four submitted, all pending
    db = open_database(database)
    pending = list(db.query("select task_id, status from jobs order by task_id"))
    assert pending == [{"task_id": f"task-{n}", "status": "pending"} for n in range(1, 5)]
    assert paid_rows(tmp_path) == []

    timed_provider.release()
    render_shots(str(tmp_path), timed_provider.base_url)

    assert (
        len(timed_provider.tasks) == SHOTS
    )  # the four pending ones were polled, not submitted again
    seeds = [t["seed"] for t in timed_provider.tasks.values()]
    assert len(set(seeds)) == SHOTS
    assert paid_rows(tmp_path) == [
        {"shot": n, "cost": PRICE, "cached": 0} for n in range(1, SHOTS + 1)
    ]
    assert list(db.query("select * from jobs")) == []


def test_the_estimate_is_what_the_provider_then_bills_and_a_budget_stops_before_any_call(
    timed_provider: TimedProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p")  # the story first, production off
    written = wr("run", "Twin sisters fight over an empire", "--auto", "--dir", str(project))
    assert written.returncode == 0, written.stderr
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
    config = (
        '[models]\ndefault = "scripted:answers.json"\n'
        '[production]\nvideo = "dashscope-wan"\n{budget}'
        "[production.options.dashscope-wan]\n"
        f'base_url = "{timed_provider.base_url}"\nprice_per_call = 0.5\nprice_per_second = 0.02\n'
        "[production.prices.voice]\nembedded = 0.01\n"
    )
    (project / "writersroom.toml").write_text(config.format(budget=""), encoding="utf-8")

    estimated = wr("render", "1", "--estimate", "--dir", str(project))
    assert estimated.returncode == 0, estimated.stderr
    total = float(re.search(r"total: ([\d.]+)", estimated.stdout).group(1))
    shots = rows(project, "select json_array_length(shots, '$.shots') from episodes")[0][0]
    assert total == pytest.approx(shots * (0.5 + 0.02 * 5), rel=0.1)  # each a 5 s Wan clip
    assert "nothing was rendered" in estimated.stdout
    assert timed_provider.tasks == {} and rows(project, "select count(*) from ledger") == [(0,)]

    over = config.format(budget=f"budget = {total / 2:g}\n")
    (project / "writersroom.toml").write_text(over, encoding="utf-8")
    stopped = wr("render", "1", "--dir", str(project))
    assert stopped.returncode == 1
    assert f"would cost about {total:g}" in stopped.stderr
    assert f"over the budget of {total / 2:g}" in stopped.stderr
    assert timed_provider.tasks == {}  # nothing submitted, nothing half-paid
    assert rows(project, "select count(*) from ledger") == [(0,)]
    assert rows(project, "select count(*) from jobs") == [(0,)]

    (project / "writersroom.toml").write_text(config.format(budget=""), encoding="utf-8")
    rendered = wr("render", "1", "--dir", str(project), timeout=300)
    assert rendered.returncode == 0, rendered.stderr
    assert len(timed_provider.tasks) == shots
    # each shot with characters carries their portraits, uploaded once per shot
    assert all(task["references"] for task in timed_provider.tasks.values())
    billed = rows(project, "select sum(cost) from ledger where cached = 0")[0][0]
    assert billed == pytest.approx(total, rel=0.1)


def test_a_failed_task_keeps_its_reason_and_is_submitted_again_only_by_a_new_render(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "writersroom.db")
    submitted: list[str] = []

    def submit() -> str:
        submitted.append(f"task-{len(submitted) + 1}")
        return submitted[-1]

    def refused(task: str, out: Path) -> MediaResult:
        raise RenderError(f"task {task} failed: DataInspectionFailed: unsafe prompt")

    def made(task: str, out: Path) -> MediaResult:
        out.write_bytes(b"clip")
        return MediaResult(path=str(out), duration_seconds=5.0, cost=0.7)

    call = Call("generate_video", "kling", "k" * 64, 1, "call-1", "shot-01/video.mp4")
    target = tmp_path / "render" / "episode-01" / "shot-01" / "video.mp4"
    first = RenderCache(db, tmp_path / "render", episode=1, invocation="run")
    with pytest.raises(RenderError, match="unsafe prompt"):
        first.call(call, target, Remote(submit, refused), None)
    assert rows_of(db, "select task_id, status from jobs") == [("task-1", "failed")]
    assert "unsafe prompt" in rows_of(db, "select reason from jobs")[0][0]
    with pytest.raises(RenderError, match="render the episode again to retry it"):
        first.call(call, target, Remote(submit, made), None)  # the director calls it again
    assert submitted == ["task-1"]  # not paid for a second time in that render

    again = RenderCache(db, tmp_path / "render", episode=1, invocation="render")  # asked for
    result, cached = again.call(call, target, Remote(submit, made), None)
    assert (submitted, cached, result.cost) == (["task-1", "task-2"], False, 0.7)
    assert rows_of(db, "select count(*) from jobs") == [(0,)]
    assert rows_of(db, "select cost, cached from ledger") == [(0.7, 0)]


def rows_of(db: Any, sql: str) -> list[tuple]:
    return [tuple(row.values()) for row in db.query(sql)]


def test_one_call_made_ahead_by_two_episodes_at_once_is_made_and_paid_once(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "writersroom.db")
    makes: list[int] = []
    started = threading.Event()

    def make(out: Path) -> MediaResult:
        makes.append(1)
        started.set()
        time.sleep(0.5)  # the other episode asks meanwhile
        out.write_bytes(b"the same line")
        return MediaResult(path=str(out), duration_seconds=1.5, cost=0.2)

    call = Call("synthesize_voice", "cosyvoice", "v" * 64, 2, "call-1", "shot-02/line-1.wav")
    caches = [RenderCache(db, tmp_path / "render", episode=n) for n in (1, 2)]
    first = threading.Thread(target=caches[0].ahead, args=(call, make, None))
    first.start()
    started.wait(5)
    caches[1].ahead(call, make, None)  # waits for the first episode's making
    first.join()
    for number, cache in zip((1, 2), caches, strict=True):
        target = tmp_path / "render" / f"episode-0{number}" / "shot-02" / "line-1.wav"
        cache.call(call, target, make, None)
        assert target.read_bytes() == b"the same line"
    assert len(makes) == 1
    assert rows_of(db, "select episode, cost, cached from ledger order by episode") == [
        (1, 0.2, 0),
        (2, 0.0, 1),
    ]
