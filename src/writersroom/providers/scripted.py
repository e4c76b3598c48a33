"""`scripted:FILE`: replays recorded answers from a JSON file, for tests and demos.

The file maps a task (the graph node that asks, e.g. `develop_series`) to a list of answers,
given in order; past the end the last answer repeats. An answer is a JSON value (sent as its
JSON text) or a string (sent as is, e.g. to replay a malformed answer). Wrap it as
`{"reply": ..., "delay_seconds": N}` to replay a slow model. An answer of function calls is
`{"tool_calls": [{"name": ..., "args": {...}}, ...]}` (args given as a string replays a
malformed call); the tools a model was offered (`bind_tools`) are named in the call log.

Every call is appended to `scripted-calls.jsonl` in the project folder with the messages it
was given; the number of earlier calls for a task there is the position in its list, so a
resumed process continues where the killed one stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError
from writersroom.providers import AgentModel

CALL_LOG = "scripted-calls.jsonl"


def read_calls(project: Path) -> list[dict[str, Any]]:
    """The calls recorded in a project folder, oldest first."""
    path = project / CALL_LOG
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


class ScriptedChatModel(BaseChatModel):
    answers: dict[str, list[Any]]
    call_log: Path

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        tools: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        metadata = run_manager.metadata if run_manager else {}
        task = metadata.get("task", "")
        queue = self.answers.get(task) or self.answers.get("*")
        if not queue:
            raise ConfigError(f"the scripted answers have nothing for task {task!r}")
        done = sum(1 for call in read_calls(self.call_log.parent) if call["task"] == task)
        entry = queue[min(done, len(queue) - 1)]
        with self.call_log.open("a", encoding="utf-8") as log:
            log.write(
                json.dumps(
                    {
                        "task": task,
                        "agent": metadata.get("agent", ""),
                        "messages": [_logged(m) for m in messages],
                    }
                    | ({"tools": [t["function"]["name"] for t in tools]} if tools else {}),
                    ensure_ascii=False,
                )
                + "\n"
            )
        if (
            isinstance(entry, dict)
            and "reply" in entry
            and set(entry) <= {"reply", "delay_seconds"}
        ):
            time.sleep(float(entry.get("delay_seconds", 0)))
            entry = entry["reply"]
        if isinstance(entry, dict) and "tool_calls" in entry:
            return _tool_calls(entry, f"call-{task}-{done + 1}", messages)
        text = entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False)
        prompt_tokens = sum(len(str(m.content).split()) for m in messages)
        message = AIMessage(
            content=text,
            usage_metadata={
                "input_tokens": prompt_tokens,
                "output_tokens": len(text.split()),
                "total_tokens": prompt_tokens + len(text.split()),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This model offered `tools`: they are named in the call log with every call. Its
        answers are the script's, so `tool_choice` changes nothing."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def _logged(message: BaseMessage) -> dict[str, Any]:
    entry = {"role": message.type, "content": message.content}
    if isinstance(message, AIMessage) and message.tool_calls:
        entry["tool_calls"] = [
            {"name": c["name"], "args": c["args"], "id": c["id"]} for c in message.tool_calls
        ]
    if isinstance(message, ToolMessage):
        entry |= {"tool_call_id": message.tool_call_id, "status": message.status}
    return entry


def _tool_calls(entry: dict[str, Any], prefix: str, messages: list[BaseMessage]) -> ChatResult:
    """A recorded answer of function calls; a call whose args are a string is malformed."""
    calls, invalid = [], []
    for index, call in enumerate(entry["tool_calls"], 1):
        name, args, call_id = call.get("name", ""), call.get("args", {}), f"{prefix}-{index}"
        if isinstance(args, dict):
            calls.append({"name": name, "args": args, "id": call_id, "type": "tool_call"})
        else:
            invalid.append(
                {
                    "name": name,
                    "args": str(args),
                    "id": call_id,
                    "type": "invalid_tool_call",
                    "error": "the arguments are not a JSON object",
                }
            )
    prompt_tokens = sum(len(str(m.content).split()) for m in messages)
    output_tokens = len(json.dumps(entry["tool_calls"]).split())
    message = AIMessage(
        content=entry.get("content", ""),
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata={
            "input_tokens": prompt_tokens,
            "output_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        },
    )
    return ChatResult(generations=[ChatGeneration(message=message)])


def build(model: str, settings: ProviderConfig, project: Path) -> AgentModel:
    path = Path(settings.file or model)
    if not path.is_absolute():
        path = project / path
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"scripted answers file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"scripted answers file {path} is not JSON: {exc}") from None
    if not isinstance(answers, dict) or not all(isinstance(v, list) for v in answers.values()):
        raise ConfigError(f"{path}: expected an object mapping each task to a list of answers")
    return AgentModel(
        name=f"scripted:{model}",
        chat=ScriptedChatModel(answers=answers, call_log=project / CALL_LOG),
    )
