"""Where renders run: worker processes and a real local Ray runtime make the same episode as
renders in this process, and `render --all` makes a season's shots at once across episodes.

The Ray test starts a Ray runtime on this machine (the `ray` extra); the season test renders on
the loopback DashScope-shaped provider of `fake_video_provider`, whose clock tells overlap.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import answers, make_project, rows, wr
from fake_video_provider import TimedProvider

from writersroom.config import ExecutorConfig
from writersroom.tools import executor
from writersroom.tools.base import MediaResult
from writersroom.tools.board import JobBoard
from writersroom.tools.cache import Call
from writersroom.tools.media import RenderError

PREMISE = "Twin sisters swapped at birth fight over the family empire"
# what was made: each call, and the key of each video and voice (their requests' hashes; a
# lip-sync's and the cut's key hash the voices' bytes too, and the embedded voices sample noise)
MADE = (
    "select tool, backend, shot, call_id, file, cost, "
    "case when tool in ('generate_video', 'synthesize_voice') then key end "
    "from ledger where cached = 0 order by tool, shot, file"
)
# the renders an executor runs: all but the characters' sheets and the cut
RENDERS = (
    "select count(*) from ledger where cached = 0 and tool not in ('assemble', 'draw_character')"
)


def season_replies() -> dict[str, Any]:
    """The recorded answers, with an episode 2 whose shots look different from episode 1's."""
    replies = answers()
    for task, key in (("outline_episode", "number"), ("write_script", "episode")):
        replies[task].append({**replies[task][0], key: 2})
    second = {"tool_calls": []}
    for call in replies["produce"][0]["tool_calls"]:
        args = dict(call["args"])
        if "visual_prompt" in args:
            args["visual_prompt"] += ", a week later"
        second["tool_calls"].append({**call, "args": args})
    replies["produce"].append(second)
    return replies


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two episodes written and remembered, production off: nothing rendered yet."""
    project = make_project(tmp_path_factory.mktemp("season") / "series", season_replies())
    for command in (("run", PREMISE), ("next-episode",)):
        result = wr(*command, "--auto", "--dir", str(project), timeout=300)
        assert result.returncode == 0, result.stderr
    return project


def copy_of(written: Path, folder: Path, executor_toml: str = "") -> Path:
    project = Path(shutil.copytree(written, folder))
    config = (project / "writersroom.toml").read_text(encoding="utf-8")
    (project / "writersroom.toml").write_text(config + executor_toml, encoding="utf-8")
    return project


def made_files(project: Path) -> dict[str, str]:
    """Every file the render made, by its path in the render folder: for the shots' pictures
    and the character sheets, the hash of their bytes."""
    render = project / "render"
    return {
        path.relative_to(render).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest()
            if path.name == "video.mp4" or path.suffix == ".png"
            else "made"
        )
        for path in sorted(render.rglob("*"))
        if path.is_file() and "cache" not in path.parts
    }


@pytest.fixture
def closed() -> Iterator[None]:
    """The executors this test opens (worker processes, a Ray runtime) are closed after it."""
    yield
    executor.close_all()


def test_worker_processes_and_ray_make_what_renders_in_this_process_make(
    written: Path, tmp_path: Path, closed: None
) -> None:
    here = copy_of(written, tmp_path / "here", "[executor]\nworkers = 1\n")
    processes = copy_of(written, tmp_path / "processes", "[executor]\nworkers = 2\n")
    on_ray = copy_of(written, tmp_path / "ray", "[executor]\nworkers = 2\n")
    for project, options in ((here, ()), (processes, ()), (on_ray, ("--executor", "ray"))):
        result = wr("render", "1", *options, "--dir", str(project), timeout=600)
        assert result.returncode == 0, result.stderr

    pool = executor.executor_for(ExecutorConfig(workers=2))
    assert isinstance(pool, executor.LocalExecutor) and pool.in_processes > 0
    ray = executor.executor_for(ExecutorConfig(kind="ray", workers=2))
    assert isinstance(ray, executor.RayExecutor) and ray.started

    ledger = rows(here, MADE)
    assert len(ledger) > 8  # four videos, four voices, the lip-syncs and the cut
    assert rows(processes, MADE) == ledger
    assert rows(on_ray, MADE) == ledger
    files = made_files(here)
    assert "episode-01/episode.mp4" in files
    assert made_files(processes) == files
    assert made_files(on_ray) == files

    # every render but the sheets and the cut ran as a Ray task (Ray's own record of its tasks)
    renders = rows(on_ray, RENDERS)[0][0]
    deadline = time.monotonic() + 30
    while ray_tasks(ray) < renders and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ray_tasks(ray) == renders


def ray_tasks(ray: executor.RayExecutor) -> int:
    return sum(1 for event in ray.ray.timeline() if event["cat"] == "task::_render")


def test_render_all_makes_a_seasons_shots_at_once_across_episodes(
    written: Path, tmp_path: Path, timed_provider: TimedProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_of(written, tmp_path / "p")
    first = wr("render", "--all", "--dir", str(project), timeout=600)  # on the storyboard
    assert first.returncode == 0, first.stderr
    assert rows(project, "select number, status from episodes order by number") == [
        (1, "cut"),
        (2, "cut"),
    ]
    assert "render/episode-02/episode.mp4" in first.stdout

    # the season again on a provider: its shots are made anew, those of both episodes at once
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
    config = (
        '[models]\ndefault = "scripted:answers.json"\n'
        '[production]\nvideo = "dashscope-wan"\n[production.options.dashscope-wan]\n'
        f'base_url = "{timed_provider.base_url}"\nprice_per_call = 0.5\n'
        "[production.concurrency]\ndashscope-wan = 8\n"
    )
    (project / "writersroom.toml").write_text(config, encoding="utf-8")
    again = wr("render", "--all", "--dir", str(project), timeout=600)
    assert again.returncode == 0, again.stderr

    tasks = list(timed_provider.tasks.values())
    assert len(tasks) == 8  # four shots per episode, each submitted once
    later = [t for t in tasks if "a week later" in t["prompt"]]
    earlier = [t for t in tasks if "a week later" not in t["prompt"]]
    assert len(later) == len(earlier) == 4
    # all eight under way at once: an episode has four shots, so the bound of eight is filled
    # only by the two episodes together
    assert timed_provider.most_in_flight() == 8
    paid = "select episode, count(*) from ledger where tool = 'generate_video' and cost > 0"
    assert rows(project, paid + " group by episode order by episode") == [(1, 4), (2, 4)]

    unchanged = wr("render", "--all", "--dir", str(project), timeout=600)
    assert unchanged.returncode == 0, unchanged.stderr
    assert len(timed_provider.tasks) == 8  # nothing paid twice
    assert unchanged.stdout.count("0 made") == 2


def test_render_all_refuses_an_episode_number_or_line_changes(written: Path) -> None:
    for extra in (("1",), ("--line", '1.1="Hi"')):
        result = wr("render", "--all", *extra, "--dir", str(written))
        assert result.returncode == 1
        assert "--all renders every episode as it is" in result.stderr


def test_the_board_counts_jobs_and_shows_those_in_flight() -> None:
    shown: list[str] = []
    board = JobBoard(lambda b: shown.append(b.line()))
    board.expect(3)
    calls = [Call("generate_video", "kling", f"k{n}", n, f"c{n}", "f.mp4") for n in (1, 2, 3)]
    board.started(2, calls[0])
    board.started(2, calls[1])
    board.finished(calls[0])
    board.started(2, calls[2])
    board.finished(calls[1])
    board.finished(calls[2])
    assert board.made == 3 and board.peak == 2 and board.flying == 0
    assert shown[0] == "renders 0 of 3 done"
    assert shown[2].startswith("renders 0 of 3 done; in flight: episode 2 shot 1 video (kling, ")
    assert "episode 2 shot 2 video" in shown[2]
    assert shown[-1] == "renders 3 of 3 done"


class Dying:
    """A CPU-bound backend whose render ends its worker process: on request, or in a worker."""

    name = "dying"
    cpu_bound = True

    def draw(self, die: bool, out: Path) -> MediaResult:
        if die:
            os._exit(3)
        out.write_bytes(str(os.getpid()).encode())
        return MediaResult(path=out.name, duration_seconds=0.0)


def test_a_worker_process_that_dies_is_a_render_error_and_the_next_render_runs(
    tmp_path: Path,
) -> None:
    local = executor.LocalExecutor(2)
    backend = Dying()
    try:
        made = local.run(backend, backend.draw, False, tmp_path / "a")
        assert made.path == "a" and (tmp_path / "a").read_text() != str(os.getpid())
        with pytest.raises(RenderError, match="dying: its worker process died"):
            local.run(backend, backend.draw, True, tmp_path / "b")
        local.run(backend, backend.draw, False, tmp_path / "c")
        assert (tmp_path / "c").read_text() != str(os.getpid())
        assert local.in_processes == 3
    finally:
        local.close()
