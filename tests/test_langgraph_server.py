"""The room on LangGraph's own server: `langgraph dev` (in-memory runtime) on loopback, driven
through its interrupts with the `langgraph_sdk` client, as LangGraph Studio drives it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import make_project, rows
from langgraph_sdk import get_sync_client

ROOT = Path(__file__).resolve().parent.parent
PREMISE = "Twin sisters swapped at birth fight over the family empire"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "langgraph"), "dev", "--host", "127.0.0.1",
         "--port", str(port), "--no-browser", "--no-reload",
         "--config", str(ROOT / "langgraph.json")],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_a_scripted_run_through_the_servers_interrupts(server: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "series", production=True)
    client = get_sync_client(url=server)
    thread = client.threads.create()["thread_id"]
    context = {"project_dir": str(project)}
    client.runs.wait(thread, "room", input={"premise": PREMISE, "episode": 1}, context=context)
    waited = []
    for _ in range(8):
        state = client.threads.get_state(thread)
        interrupts = [i for task in state["tasks"] for i in task.get("interrupts", [])]
        if not interrupts:
            break
        payload = interrupts[0]["value"]
        assert payload["episode"] == 1 and payload["draft"] == state["values"][payload["kind"]]
        waited.append(payload["checkpoint"])
        decision = {"action": "approve", "by": "studio"}
        client.runs.wait(thread, "room", command={"resume": decision}, context=context)
    assert waited == ["approve_bible", "approve_outline", "approve_script", "approve_shots"]
    assert state["next"] == []
    assert rows(project, "select checkpoint, action, by from decisions") == [
        (checkpoint, "approve", "studio") for checkpoint in waited
    ]
    assert rows(project, "select status, video from episodes") == [
        ("cut", "render/episode-01/episode.mp4")
    ]
    assert (project / "render" / "episode-01" / "episode.mp4").stat().st_size > 10_000
