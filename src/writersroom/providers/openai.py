"""`openai:MODEL` and any provider section of kind "openai": an OpenAI-compatible endpoint.

OpenAI itself, DeepSeek, vLLM, Ollama and llama.cpp's server all speak this API; the section's
`base_url` says which. The key comes from `api_key` or the variable named by `api_key_env`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openai
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError
from writersroom.providers import AgentModel


def _api_key(model: str, settings: ProviderConfig) -> str:
    if settings.api_key:
        return settings.api_key
    env = settings.api_key_env or "OPENAI_API_KEY"
    key = os.environ.get(env, "").strip()
    if not key:
        where = f" at {settings.base_url}" if settings.base_url else ""
        raise ConfigError(
            f"no API key for {model}{where}: set {env} (any non-empty value for a local "
            "server that ignores keys) or api_key in the provider's section of writersroom.toml"
        )
    return key


def build(model: str, settings: ProviderConfig, project: Path) -> AgentModel:
    chat = ChatOpenAI(
        model=model,
        api_key=SecretStr(_api_key(model, settings)),
        base_url=settings.base_url,
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
        max_completion_tokens=settings.max_tokens,
    )
    endpoint = settings.base_url or "the OpenAI API"

    def json_kwargs(schema: dict[str, Any]) -> dict[str, Any]:
        if settings.json_mode == "json_object":
            return {"response_format": {"type": "json_object", "schema": schema}}
        name = str(schema.get("title", "answer"))
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": False},
            }
        }

    def describe(exc: BaseException) -> str:
        if isinstance(exc, openai.APITimeoutError):
            return f"{endpoint} did not answer within {settings.timeout_seconds:g} s"
        if isinstance(exc, openai.APIConnectionError):
            return f"cannot reach {endpoint}: check base_url and that the server is running"
        if isinstance(exc, openai.AuthenticationError):
            return f"{endpoint} refused the API key ({settings.api_key_env or 'api_key'})"
        if isinstance(exc, openai.APIStatusError):
            return f"{endpoint} answered HTTP {exc.status_code}: {exc.message}"
        return str(exc)

    return AgentModel(
        name=f"openai:{model}",
        chat=chat,
        json_kwargs=json_kwargs,
        transport_errors=(openai.APIError,),
        describe_error=describe,
    )
