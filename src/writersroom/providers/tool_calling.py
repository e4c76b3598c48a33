"""Function calling for chat models that only write text, such as llama.cpp's.

The tools offered become a JSON schema the answer is constrained to,
`{"tool_calls": [{"name": ..., "args": {...}}, ...]}`, and the answer becomes an AIMessage
with real `tool_calls`; earlier calls and their results are written back into the chat.
"""

from __future__ import annotations

import json
import math
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from writersroom.room.prompting import compact, template

MAX_ENUMERATED = 1000  # an integer range up to this wide is written out as its values
ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "user"}


def grammar_schema(schema: Any) -> Any:
    """A JSON schema as a grammar can hold it quickly and fully.

    String length bounds go: a grammar spells `maxLength: 600` out as 600 nested rules, which
    makes constrained decoding crawl, and a model held to a short one (a 60-character title)
    runs its last words together to fit ("setting thestage"). An over-long string is cut to
    fit, at a sentence end or between words, when the answer is read (`answers.parse`).
    A bounded number becomes a bounded integer, and a bounded integer the list of its values:
    llama-cpp-python's grammars do not hold `minimum` and `maximum` at all, and a model that
    writes 45 for "at most 30" wastes an answer.
    """
    if isinstance(schema, list):
        return [grammar_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: grammar_schema(v) for k, v in schema.items() if k != "maxLength"}
    bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
    if out.get("type") == "number" and bounds & set(out):
        out["type"] = "integer"
    if out.get("type") == "integer":
        if "exclusiveMinimum" in out:
            out["minimum"] = math.floor(out.pop("exclusiveMinimum")) + 1
        if "exclusiveMaximum" in out:
            out["maximum"] = math.ceil(out.pop("exclusiveMaximum")) - 1
        low, high = out.get("minimum"), out.get("maximum")
        if low is not None and high is not None and high - low < MAX_ENUMERATED:
            out["enum"] = list(range(math.ceil(low), math.floor(high) + 1))
    return out


def required_only(parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool's parameters without its optional ones: what a small model must write."""
    required = parameters.get("required", [])
    properties = {k: v for k, v in parameters.get("properties", {}).items() if k in required}
    return {**parameters, "properties": properties}


def calls_schema(
    tools: list[dict[str, Any]], max_calls: int | None = None, min_calls: int = 1
) -> dict[str, Any]:
    """The JSON schema of an answer made of `min_calls` to `max_calls` calls to `tools`, each
    with only the tool's required arguments (the optional ones have their defaults)."""
    choices = [
        {
            "type": "object",
            "properties": {
                "name": {"const": tool["function"]["name"]},
                "args": grammar_schema(
                    required_only(tool["function"].get("parameters", {"type": "object"}))
                ),
            },
            "required": ["name", "args"],
        }
        for tool in tools
    ]
    return {
        "type": "object",
        "properties": {
            "tool_calls": {"type": "array", "minItems": min_calls, "items": {"anyOf": choices}}
            | ({"maxItems": max_calls} if max_calls else {})
        },
        "required": ["tool_calls"],
    }


def chat_messages(
    messages: list[BaseMessage], tools: list[dict[str, Any]] | None
) -> list[dict[str, str]]:
    """The chat as plain role/content pairs, with the tools described when there are any."""
    chat = []
    for message in messages:
        content = str(message.content)
        if isinstance(message, AIMessage) and message.tool_calls:
            calls = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
            content = compact({"tool_calls": calls})
        elif isinstance(message, ToolMessage):
            outcome = "failed" if message.status == "error" else "returned"
            content = f"{message.name} ({message.tool_call_id}) {outcome}: {content}"
        chat.append({"role": ROLES[message.type], "content": content})
    if tools:
        described = "\n".join(
            f"- {t['function']['name']}: {t['function'].get('description', '')} "
            f"args: {compact(t['function'].get('parameters', {}))}"
            for t in tools
        )
        parts = template("tool_calls")
        instructions = parts["system"].substitute(tools=described)
        if chat and chat[0]["role"] == "system":
            chat[0]["content"] += "\n\n" + instructions
        else:
            chat.insert(0, {"role": "system", "content": instructions})
        chat.append({"role": "user", "content": parts["user"].substitute()})
    return chat


def with_calls(message: AIMessage, call_prefix: str) -> AIMessage:
    """`message` with the calls its JSON text names as tool calls (malformed ones as invalid)."""
    text = str(message.content)
    try:
        data = json.loads(text)
        items = data["tool_calls"]
        assert isinstance(items, list)
    except (json.JSONDecodeError, KeyError, TypeError, AssertionError):
        invalid = [
            {
                "name": None,
                "args": text[:2000],
                "id": f"{call_prefix}-0",
                "error": "the answer is not a JSON object with a tool_calls list",
                "type": "invalid_tool_call",
            }
        ]
        return message.model_copy(update={"content": "", "invalid_tool_calls": invalid})
    calls, invalid = [], []
    for index, item in enumerate(items, 1):
        call_id = f"{call_prefix}-{index}"
        if isinstance(item, dict) and isinstance(item.get("args"), dict) and item.get("name"):
            calls.append(
                {"name": item["name"], "args": item["args"], "id": call_id, "type": "tool_call"}
            )
        else:
            invalid.append(
                {
                    "name": None,
                    "args": compact(item),
                    "id": call_id,
                    "error": "a call needs a name and an args object",
                    "type": "invalid_tool_call",
                }
            )
    return AIMessage(
        content="",
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
    )
