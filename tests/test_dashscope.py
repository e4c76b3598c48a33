"""The dashscope provider against a local HTTP server speaking DashScope's text-generation API."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import answers as recorded
from conftest import make_project, rows, wr
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError, ModelError
from writersroom.providers import dashscope
from writersroom.room import answers
from writersroom.tools.media import probe

GENERATION_PATH = "/api/v1/services/aigc/text-generation/generation"
LOGLINE = {"title": "Second Wife", "hook": "She returns as her rival's lawyer."}
# The documented shapes of a result_format="message" answer and of an error answer.
ANSWER = {
    "request_id": "902fee3b-f7f0-9a8c-96a1-6b4ea25af114",
    "output": {
        "choices": [
            {
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": json.dumps(LOGLINE)},
            }
        ]
    },
    "usage": {"input_tokens": 87, "output_tokens": 21, "total_tokens": 108},
}
INVALID_KEY = {
    "code": "InvalidApiKey",
    "message": "Invalid API-key provided.",
    "request_id": "fb53c4ec-1c12-4fc4-a580-cdb7c3261fc1",
}


class Logline(BaseModel):
    title: str
    hook: str


class FakeDashScope(ThreadingHTTPServer):
    """Records each request and answers with the next (status, body) queued in `replies`, or
    when none is queued with what `answer` makes of the request's body."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, dict[str, Any]]] = []
        self.answer: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"


class Handler(BaseHTTPRequestHandler):
    server: FakeDashScope

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
        )
        if self.server.replies:
            status, reply = self.server.replies.pop(0)
        else:
            assert self.server.answer is not None, "no answer queued"
            status, reply = 200, self.server.answer(self.server.requests[-1]["body"])
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FakeDashScope]:
    fake = FakeDashScope()
    thread = threading.Thread(target=fake.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


def ask(settings: ProviderConfig, usages: list[answers.Usage] | None = None) -> Logline:
    model = dashscope.build("qwen-plus", settings, Path("."))
    messages = [
        SystemMessage(content=f"Answer with one JSON object: {Logline.model_json_schema()}"),
        HumanMessage(content="A logline for a revenge drama."),
    ]
    record = (usages if usages is not None else []).append
    return answers.ask(
        model, Logline, messages, agent="showrunner", task="develop", attempts=1, on_usage=record
    )


def test_structured_answer_over_http(server: FakeDashScope) -> None:
    server.replies.append((200, ANSWER))
    usages: list[answers.Usage] = []
    settings = ProviderConfig(kind="dashscope", base_url=server.base_url, api_key="sk-test")

    answer = ask(settings, usages)

    assert answer == Logline(**LOGLINE)
    [request] = server.requests
    assert request["path"] == GENERATION_PATH
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "qwen-plus"
    assert [m["role"] for m in body["input"]["messages"]] == ["system", "user"]
    assert body["input"]["messages"][1]["content"] == "A logline for a revenge drama."
    assert body["parameters"]["result_format"] == "message"
    assert body["parameters"]["response_format"] == {"type": "json_object"}
    assert body["parameters"]["max_tokens"] == settings.max_tokens
    [usage] = usages
    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("dashscope:qwen-plus", 87, 21)


def test_refused_key_is_a_model_error(server: FakeDashScope) -> None:
    server.replies.append((401, INVALID_KEY))
    settings = ProviderConfig(kind="dashscope", base_url=server.base_url, api_key="sk-wrong")

    with pytest.raises(ModelError) as caught:
        ask(settings)

    message = str(caught.value)
    assert "dashscope:qwen-plus" in message
    assert "HTTP 401 InvalidApiKey: Invalid API-key provided." in message
    assert "\n" not in message


def test_missing_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY"):
        dashscope.build("qwen-plus", ProviderConfig(kind="dashscope"), Path("."))


def test_unreachable_endpoint_is_a_model_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/api/v1"
    settings = ProviderConfig(
        kind="dashscope", base_url=base_url, api_key="sk-test", timeout_seconds=2
    )

    with pytest.raises(ModelError, match=f"cannot reach {base_url}"):
        ask(settings)


def director_on_qwen(body: dict[str, Any]) -> dict[str, Any]:
    """Qwen as director: the recorded shot list when asked for one (JSON mode), else a call of
    the tools for each call the ask says is owed, in DashScope's function-calling shape (the
    arguments a JSON string)."""
    if "tools" not in body["parameters"]:
        plan = json.dumps(recorded()["plan_shots"][0])
        message = {"role": "assistant", "content": plan}
        return ANSWER | {"output": {"choices": [{"finish_reason": "stop", "message": message}]}}
    asked = body["input"]["messages"][-1]["content"]
    owed = asked.split("make exactly these calls now:\n", 1)[1].splitlines()
    calls = []
    for number, line in enumerate(owed, 1):
        name, arguments = line.split(" ", 1)
        function = {"name": name, "arguments": arguments}
        calls.append(
            {"id": f"call_{len(body) + number}_{name}", "type": "function"}
            | {"function": function, "index": number - 1}
        )
    message = {"role": "assistant", "content": "", "tool_calls": calls}
    return {
        "request_id": f"req-{len(calls)}",
        "output": {"choices": [{"finish_reason": "tool_calls", "message": message}]},
        "usage": {"input_tokens": 420, "output_tokens": 30 * len(calls), "total_tokens": 0},
    }


def test_a_director_on_qwen_produces_an_episode_through_tool_calls(
    server: FakeDashScope, tmp_path: Path
) -> None:
    server.answer = director_on_qwen
    qwen = f'[providers.dashscope]\nkind = "dashscope"\nbase_url = "{server.base_url}"\n'
    project = make_project(
        tmp_path / "p",
        extra_toml=f'director = "dashscope:qwen-plus"\n{qwen}api_key = "sk-test"\n',
        production=True,
    )

    done = wr("run", "Twin sisters fight over an empire", "--auto", "--dir", str(project))

    assert done.returncode == 0, done.stderr
    assert server.requests
    assert "tools" not in server.requests[0]["body"]["parameters"]  # the shot list: JSON mode
    for request in server.requests[1:]:
        parameters = request["body"]["parameters"]
        offered = {tool["function"]["name"] for tool in parameters["tools"]}
        assert offered == {"generate_video", "synthesize_voice", "lip_sync"}
        shot = next(t for t in parameters["tools"] if t["function"]["name"] == "generate_video")
        assert shot["type"] == "function"
        assert shot["function"]["parameters"]["required"] == ["shot"]
    answered = {
        call["id"]
        for reply in map(director_on_qwen, (r["body"] for r in server.requests))
        for call in reply["output"]["choices"][0]["message"].get("tool_calls", [])
    }
    called = "select call_id from ledger where tool != 'draw_character'"
    made = {row[0] for row in rows(project, called)}
    assert made == answered | {"cut"}  # each backend call is one of Qwen's tool calls
    usage = rows(project, "select input_tokens from usage where task = 'produce'")
    assert usage and all(row == (420,) for row in usage)
    video = probe(project / "render" / "episode-01" / "episode.mp4")
    assert (video["width"], video["height"]) == (720, 1280)
    assert rows(project, "select status from episodes") == [("cut",)]
