"""The openai provider against a real OpenAI-compatible server on loopback (llama.cpp's server)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RecordedOpenAI, make_project, on_loopback, rows, smollm2, wr
from conftest import answers as answers_json

from writersroom.config import ProviderConfig
from writersroom.providers import openai as openai_provider
from writersroom.room import answers
from writersroom.schemas import Critique


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "smollm2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base_url}/models", timeout=2)
            break
        except OSError:
            assert process.poll() is None, "llama.cpp's server exited"
            assert time.monotonic() < deadline, "llama.cpp's server did not start"
            time.sleep(0.5)
    yield base_url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.slow
def test_structured_answer_over_http(server: str, tmp_path: Path) -> None:
    settings = ProviderConfig(
        kind="openai", base_url=server, api_key="sk-local", json_mode="json_object", max_tokens=400
    )
    model = openai_provider.build("smollm2", settings, tmp_path)
    seen: list[answers.Usage] = []
    critique = answers.ask(
        model,
        Critique,
        [
            ("system", "Review the script. Answer in JSON: scores 1-5, notes, verdict."),
            ("human", "Script: MEI: You took my name. YUE: I took everything."),
        ],
        agent="editor",
        task="review_script",
        attempts=3,
        on_usage=seen.append,
    )
    assert isinstance(critique, Critique)
    assert seen[-1].input_tokens > 10 and seen[-1].output_tokens > 5  # usage from the server


def test_two_agents_on_two_providers_in_one_run(tmp_path: Path) -> None:
    """The editor on an OpenAI-compatible endpoint, the others scripted, in one run: each agent's
    calls go to its own provider, with the schema of its answer in the request."""
    critique = json.dumps(answers_json()["review_script"][0])
    endpoint = RecordedOpenAI(critique)
    with endpoint as base_url:
        project = make_project(
            tmp_path / "p", extra_toml=on_loopback("editor", "critic-7b", base_url)
        )
        result = wr("run", "Twin sisters swapped at birth", "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    models = dict(rows(project, "select agent, model from usage group by agent"))
    assert models == {
        "showrunner": "scripted:answers.json",
        "screenwriter": "scripted:answers.json",
        "continuity": "scripted:answers.json",
        "director": "scripted:answers.json",
        "editor": "loopback:critic-7b",
    }
    assert rows(project, "select distinct model from drafts where kind = 'critique'") == [
        ("loopback:critic-7b",)
    ]
    assert rows(
        project, "select input_tokens, output_tokens from usage where agent = 'editor'"
    ) == [(321, 54)]
    (body,) = endpoint.bodies
    assert body["path"] == "/v1/chat/completions"
    assert body["model"] == "critic-7b"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["title"] == "Critique"
    assert "Script draft" in body["messages"][-1]["content"]
