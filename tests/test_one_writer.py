"""One writer per project: real `writersroom` processes (and the review page) started together
on one project. Exactly one proceeds; the other is told who is busy (exit code 75, or 409), and
the model call log, the decisions and the render ledger show every step once.

Each checkpoint is raced WRITERSROOM_RACE_TRIALS times (default 2; the closing measurement of
the feature ran 20).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import CLI, answers, calls, make_project, rows, wr

from writersroom.room.project import Project
from writersroom.room.runlock import RunLock, holder
from writersroom.schemas import Decision

PREMISE = "Twin sisters swapped at birth fight over the family empire"
TRIALS = int(os.environ.get("WRITERSROOM_RACE_TRIALS", "2"))
# the step each checkpoint's approval starts (made slow in the races, so that the two
# processes certainly overlap)
NEXT = {
    "approve_bible": "outline_episode",
    "approve_outline": "write_script",
    "approve_script": "plan_shots",
    "approve_shots": "produce",
}
PRICES = (
    "\n[production.prices.voice]\nembedded = 0.01\n[production.prices.video]\nstoryboard = 0.02\n"
)
SLOW = 5.0
BUSY = re.compile(r"^busy: writersroom \w[\w-]* \(pid \d+ on .+\) is running \S.* since \d{4}-")


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A closed project folder waiting at each checkpoint, to be copied for each trial."""
    root = tmp_path_factory.mktemp("bases")
    work = make_project(root / "work", extra_toml=PRICES, production=True)
    made: dict[str, Path] = {}
    project = Project.create(work, PREMISE)
    try:
        project.start()
    finally:
        project.close()
    for checkpoint in NEXT:
        made[checkpoint] = root / checkpoint
        shutil.copytree(work, made[checkpoint])
        project = Project(work)
        try:
            project.decide(Decision(action="approve"))
        finally:
            project.close()
    return made


def trial_copy(base: Path, target: Path, slow_task: str, seconds: float = SLOW) -> Path:
    """A copy of `base` whose model answers `slow_task` after `seconds`."""
    shutil.copytree(base, target)
    replies = answers()
    replies[slow_task] = [{"reply": r, "delay_seconds": seconds} for r in replies[slow_task]]
    (target / "answers.json").write_text(json.dumps(replies), encoding="utf-8")
    return target


def together(*commands: list[str]) -> list[tuple[int, str, str]]:
    """Start every command at once; their exit codes, stdout and stderr."""
    env = {**os.environ, "COLUMNS": "200"}
    procs = [
        subprocess.Popen(
            [str(CLI), *c], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for c in commands
    ]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        done.append((p.returncode, out, err))
    return done


def snapshot(folder: Path) -> dict[str, int]:
    assert rows(folder, "pragma integrity_check") == [("ok",)]
    count = {t: rows(folder, f"select count(*) from {t}")[0][0] for t in ("decisions", "usage")}
    return count | {"calls": len(calls(folder))}


def assert_busy_line(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and BUSY.match(lines[0]), err
    assert "Traceback" not in err


def checkpoints() -> list[str]:
    # rendering is the slow part: the last checkpoint once per trial count of two
    return list(NEXT)


@pytest.mark.parametrize("checkpoint", checkpoints())
def test_two_approves_at_once_one_proceeds(
    bases: dict[str, Path], tmp_path: Path, checkpoint: str
) -> None:
    trials = TRIALS if checkpoint != "approve_shots" else max(1, TRIALS // 2)
    for n in range(trials):
        folder = trial_copy(bases[checkpoint], tmp_path / f"t{n}", NEXT[checkpoint])
        before = snapshot(folder)
        results = together(["approve", "--dir", str(folder)], ["approve", "--dir", str(folder)])
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 75], results
        winner = next(r for r in results if r[0] == 0)
        loser = next(r for r in results if r[0] == 75)
        assert f"Approved {NEXT_KIND[checkpoint]} revision 1." in winner[1]
        assert_busy_line(loser[2])
        assert loser[1] == ""
        after = snapshot(folder)
        assert after["decisions"] == before["decisions"] + 1
        decided = rows(folder, "select checkpoint, action from decisions order by id desc limit 1")
        assert decided == [(checkpoint, "approve")]
        new_calls = calls(folder)[before["calls"] :]
        assert new_calls and all(c["task"] in FOLLOWING[checkpoint] for c in new_calls)
        assert after["usage"] - before["usage"] == len(new_calls)  # each call paid once
        tasks = [c["task"] for c in new_calls]
        assert tasks.count(NEXT[checkpoint]) == SOLO_CALLS[checkpoint], tasks
        if checkpoint == "approve_shots":
            assert_ledger_once(folder)
        assert not holder(folder)  # released on exit


NEXT_KIND = {
    "approve_bible": "bible",
    "approve_outline": "outline",
    "approve_script": "script",
    "approve_shots": "shots",
}
# the tasks an approval of each checkpoint runs on to (up to the next checkpoint)
FOLLOWING = {
    "approve_bible": {"outline_episode"},
    "approve_outline": {"write_script", "check_continuity", "review_script"},
    "approve_script": {"plan_shots", "extract_facts"},
    "approve_shots": {"produce", "extract_facts"},
}
# how many times a lone approval asks for NEXT[checkpoint] (the director answers its shots in
# groups of four)
SOLO_CALLS = {"approve_bible": 1, "approve_outline": 1, "approve_script": 1, "approve_shots": 1}


def assert_ledger_once(folder: Path) -> None:
    """Every render made once: the ledger's made calls and cost equal the renders'."""
    made = rows(folder, "select count(*), round(sum(cost), 6) from ledger where cached = 0")
    renders = rows(folder, "select count(*), round(sum(cost), 6) from renders")
    assert made == renders and made[0][0] > 0, (made, renders)
    twice = rows(folder, "select key from ledger where cached = 0 group by key having count(*) > 1")
    assert twice == []
    assert rows(folder, "select count(*) from episodes where video is not null") == [(1,)]


def test_approve_and_resume_at_once(bases: dict[str, Path], tmp_path: Path) -> None:
    """At a checkpoint: the approval proceeds; resume is refused, busy (75) if the approval
    already runs, else because a decision waits (1). The step is asked for once."""
    for n in range(TRIALS):
        folder = trial_copy(bases["approve_bible"], tmp_path / f"t{n}", "outline_episode")
        before = snapshot(folder)
        (a_code, a_out, _), (r_code, _, r_err) = together(
            ["approve", "--dir", str(folder)], ["resume", "--dir", str(folder)]
        )
        assert a_code == 0 and "Approved bible revision 1." in a_out
        assert r_code in (75, 1), r_err
        if r_code == 75:
            assert_busy_line(r_err)
        else:
            assert r_err.strip() == (
                "error: episode 1 waits at approve_bible: `approve`, `revise --notes ...` or "
                "`edit` it"
            )
        assert len(calls(folder, "outline_episode")) == 1
        assert snapshot(folder)["decisions"] == before["decisions"] + 1


def test_while_a_run_works_others_are_busy_and_a_kill_lets_go(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    """`status` says the run is running and every other writer is busy while it works; once
    it is killed (-9) the kernel has let the lock go and `resume` carries on."""
    folder = trial_copy(bases["approve_bible"], tmp_path / "t", "outline_episode", 600)
    run = subprocess.Popen(
        [str(CLI), "approve", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not calls(folder, "outline_episode"):
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.05)
        running = holder(folder)
        assert running is not None and running.node == "outline_episode"
        assert running.pid == run.pid and running.who == "writersroom approve"
        status = wr("status", "--dir", str(folder))
        assert status.returncode == 0
        assert "Episode 1 is running: writersroom approve (pid" in status.stdout
        assert "is running outline_episode since" in status.stdout
        assert "stopped" not in status.stdout
        before = snapshot(folder)
        for args in (["resume"], ["approve"], ["next-episode"], ["revise", "--notes", "darker"]):
            busy = wr(*args, "--dir", str(folder))
            assert busy.returncode == 75, (args, busy.stderr)
            assert_busy_line(busy.stderr)
            assert "is running outline_episode" in busy.stderr
        assert snapshot(folder) == before
        assert run.poll() is None
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    assert holder(folder) is None  # the kernel let it go
    assert len(calls(folder, "outline_episode")) == 1
    assert rows(folder, "select checkpoint, action from decisions") == [
        ("approve_bible", "approve")
    ]
    assert "stopped before outline_episode" in wr("status", "--dir", str(folder)).stdout
    shutil.copy(bases["approve_bible"] / "answers.json", folder / "answers.json")  # fast again
    resumed = wr("resume", "--dir", str(folder))
    assert resumed.returncode == 0, resumed.stderr
    assert "waits for you at approve_outline" in resumed.stdout
    assert rows(folder, "pragma integrity_check") == [("ok",)]


def test_a_lock_held_in_this_process_refuses_another_writer(project: Path) -> None:
    assert wr("new", PREMISE, "--dir", str(project)).returncode == 0
    lock = RunLock(project, who="a test")
    lock.acquire()
    lock.running("develop_series")
    try:
        before = snapshot(project)
        for args in (["approve"], ["revise", "--notes", "x"], ["render", "1"]):
            result = wr(*args, "--dir", str(project))
            assert result.returncode == 75, result.stderr
            assert result.stderr.startswith("busy: a test (pid ")
            assert "is running develop_series since" in result.stderr
        assert snapshot(project) == before
    finally:
        lock.release()
    assert holder(project) is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_line_and_review_page_at_once(bases: dict[str, Path], tmp_path: Path) -> None:
    for n in range(TRIALS):
        # the page's run lasts long enough for a loaded machine to start the command meanwhile
        folder = trial_copy(bases["approve_bible"], tmp_path / f"t{n}", "outline_episode", 60)
        port = free_port()
        server = subprocess.Popen(
            [str(CLI), "serve", "--dir", str(folder), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/status", timeout=2)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and server.poll() is None
                    time.sleep(0.1)
            cli = subprocess.Popen(
                [str(CLI), "approve", "--dir", str(folder)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            form = {"checkpoint": "approve_bible", "revision": "1", "action": "approve"}
            page = httpx.post(f"{base}/episodes/1/decide", data=form, timeout=60)
            _out, err = cli.communicate(timeout=120)
            outcomes = sorted([("web", page.status_code), ("cli", cli.returncode)])
            assert outcomes in (
                [("cli", 0), ("web", 409)],
                [("cli", 75), ("web", 303)],
            ), (outcomes, err, page.text[:300])
            if cli.returncode == 75:
                assert len(err.strip().splitlines()) == 1, err
                assert err.startswith(("busy: the review page (pid ", "conflict: ")), err
            else:
                assert "busy" in page.text or "already decided" in page.text
            assert len(calls(folder, "outline_episode")) == 1
            assert rows(folder, "select checkpoint, action from decisions") == [
                ("approve_bible", "approve")
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_a_langgraph_step_and_the_review_page_respect_the_lock(
    bases: dict[str, Path], tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from writersroom.errors import Busy
    from writersroom.room.server import StudioContext, open_room
    from writersroom.web.app import create_app

    folder = Path(shutil.copytree(bases["approve_bible"], tmp_path / "t"))
    context = StudioContext(project_dir=str(folder))
    step = {"premise": PREMISE, "episode": 1}
    before = snapshot(folder)
    lock = RunLock(folder, who="writersroom approve")
    lock.acquire()
    lock.running("write_script")
    try:
        with (
            pytest.raises(Busy, match=r"^busy: writersroom approve \(pid \d+ .*write_script"),
            open_room(context, step, "outline_episode"),  # type: ignore[arg-type]
        ):
            pass
        with TestClient(create_app(folder), base_url="http://127.0.0.1") as client:
            status = client.get("/status").json()
            assert status["busy"] and status["working"]["agent"] == "writersroom approve"
            assert status["working"]["task"] == "write_script"
            form = {"checkpoint": "approve_bible", "revision": "1", "action": "approve"}
            page = client.post("/episodes/1/decide", data=form, follow_redirects=False)
            assert page.status_code == 409 and "busy: writersroom approve" in page.text
            assert client.post("/resume", follow_redirects=False).status_code == 409
    finally:
        lock.release()
    assert snapshot(folder) == before
    with open_room(context, step, "outline_episode"):  # type: ignore[arg-type]
        found = holder(folder)
        assert found is not None and found.who == "the LangGraph server"
        assert found.node == "outline_episode" and found.phase == "running"
    assert holder(folder) is None
