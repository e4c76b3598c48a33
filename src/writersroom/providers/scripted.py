"""`scripted:FILE`: replays recorded answers from a JSON file, for tests and demos.

The file maps a task (the graph node that asks, e.g. `develop_series`) to a list of answers,
given in order; past the end the last answer repeats. An answer is a JSON value (sent as its
JSON text) or a string (sent as is, e.g. to replay a malformed answer). Wrap it as
`{"reply": ..., "delay_seconds": N}` to replay a slow model.

Every call is appended to `scripted-calls.jsonl` in the project folder with the messages it
was given; the number of earlier calls for a task there is the position in its list, so a
resumed process continues where the killed one stopped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

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
                        "messages": [{"role": m.type, "content": m.content} for m in messages],
                    },
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
