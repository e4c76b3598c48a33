"""`dashscope:MODEL` and any provider section of kind "dashscope": Qwen through Alibaba's SDK.

The section's `base_url` is the DashScope HTTP API base (default the Beijing region's
`https://dashscope.aliyuncs.com/api/v1`; `https://dashscope-intl.aliyuncs.com/api/v1` for the
international one). The key comes from `api_key` or the variable named by `api_key_env`
(default DASHSCOPE_API_KEY). JSON answers use DashScope's JSON mode; the schema is in the prompt.
Tools are DashScope's function calling: `tools` in the request, `tool_calls` in the answer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

import requests
from dashscope.aigc.generation import Generation
from dashscope.api_entities.dashscope_response import GenerationResponse, Message
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import SecretStr

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError
from writersroom.providers import AgentModel

ROLES = {"human": "user", "ai": "assistant", "system": "system"}
OS_ERROR = re.compile(r"\[Errno -?\d+\][^'\")]*")


class DashScopeError(Exception):
    """A DashScope call that failed: an error answer (with its HTTP status) or none at all."""

    def __init__(self, problem: str, status: int | None = None) -> None:
        super().__init__(problem)
        self.status = status


def _one_line(text: Any, limit: int = 200) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ChatDashScope(BaseChatModel):
    model_name: str
    api_key: SecretStr
    base_url: str | None = None
    timeout_seconds: float = 120
    max_tokens: int = 2048

    @property
    def _llm_type(self) -> str:
        return "dashscope"

    @property
    def endpoint(self) -> str:
        return self.base_url or "the DashScope API"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        json_schema: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        options: dict[str, Any] = {"stop": stop} if stop else {}
        if json_schema is not None:
            options["response_format"] = {"type": "json_object"}
        if tools:
            options["tools"] = tools
        if tool_choice is not None:
            options["tool_choice"] = tool_choice
        try:
            response = Generation.call(
                model=self.model_name,
                messages=[Message(ROLES[m.type], str(m.content)) for m in messages],
                result_format="message",
                api_key=self.api_key.get_secret_value(),
                max_tokens=self.max_tokens,
                base_address=self.base_url,
                request_timeout=self.timeout_seconds,
                **options,
            )
        except requests.Timeout as exc:
            problem = f"{self.endpoint} did not answer within {self.timeout_seconds:g} s"
            raise DashScopeError(problem) from exc
        except requests.JSONDecodeError as exc:
            raise DashScopeError(f"{self.endpoint} answered with something not JSON") from exc
        except requests.RequestException as exc:
            reason = OS_ERROR.search(str(exc))
            detail = reason.group(0).strip() if reason else type(exc).__name__
            raise DashScopeError(f"cannot reach {self.endpoint}: {detail}") from exc
        assert isinstance(response, GenerationResponse)  # one answer, not a stream
        if response.status_code != HTTPStatus.OK:
            raise DashScopeError(
                f"DashScope answered HTTP {response.status_code} {response.code}: "
                f"{_one_line(response.message)}",
                status=response.status_code,
            )
        choice = response.output.choices[0]
        usage = response.usage
        calls, invalid = [], []
        for raw in choice.message.get("tool_calls") or []:
            try:
                calls.append(parse_tool_call(raw, return_id=True))
            except OutputParserException as exc:
                invalid.append(make_invalid_tool_call(raw, str(exc)))
        message = AIMessage(
            content=choice.message.content or "",
            tool_calls=calls,
            invalid_tool_calls=invalid,
            usage_metadata={
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "total_tokens": usage.input_tokens + usage.output_tokens,
            },
            response_metadata={
                "finish_reason": choice.finish_reason,
                "request_id": response.request_id,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer `tools`: the answer may call them (`tool_choice` as DashScope takes it)."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def _api_key(model: str, settings: ProviderConfig) -> str:
    if settings.api_key:
        return settings.api_key
    env = settings.api_key_env or "DASHSCOPE_API_KEY"
    key = os.environ.get(env, "").strip()
    if not key:
        raise ConfigError(
            f"no API key for dashscope:{model}: set {env} "
            "or api_key in the provider's section of writersroom.toml"
        )
    return key


def build(model: str, settings: ProviderConfig, project: Path) -> AgentModel:
    chat = ChatDashScope(
        model_name=model,
        api_key=SecretStr(_api_key(model, settings)),
        base_url=settings.base_url,
        timeout_seconds=settings.timeout_seconds,
        max_tokens=settings.max_tokens,
    )
    key_name = "api_key" if settings.api_key else settings.api_key_env or "DASHSCOPE_API_KEY"

    def describe(exc: BaseException) -> str:
        if isinstance(exc, DashScopeError) and exc.status == HTTPStatus.UNAUTHORIZED:
            return f"{exc} (check {key_name})"
        return str(exc)

    return AgentModel(
        name=f"dashscope:{model}",
        chat=chat,
        transport_errors=(DashScopeError,),
        describe_error=describe,
    )
