"""Prompt templates from the `writersroom.prompts` package: `## system` and `## user` sections."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from string import Template
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

LONG_STRING = 200  # a `maxLength` from this on tells a model nothing worth its tokens


@cache
def template(task: str) -> dict[str, Template]:
    text = files("writersroom.prompts").joinpath(f"{task}.md").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    if set(sections) != {"system", "user"}:
        raise ValueError(f"prompt {task}.md needs exactly a '## system' and a '## user' section")
    return {name: Template("\n".join(lines).strip()) for name, lines in sections.items()}


def instructions(task: str) -> str:
    """The prompt's own words: its template without the values put into it."""
    parts = template(task)
    return "\n".join(
        Template.pattern.sub("", part.template) for part in (parts["system"], parts["user"])
    )


def readable(schema: Any) -> Any:
    """A JSON schema as the model reads it in its prompt: without pydantic's titles (the
    property names say them), `minLength` and long `maxLength` bounds (an over-long string is
    cut to fit when read). A third fewer tokens to prefill; the request's own schema keeps
    them."""
    if isinstance(schema, list):
        return [readable(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: readable(value)
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str))
        and key != "minLength"
        and not (key == "maxLength" and value >= LONG_STRING)
    }


def compact(value: Any) -> str:
    """JSON as short as a model can still read it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render(task: str, schema: dict[str, Any] | None = None, **values: str) -> list[BaseMessage]:
    """The messages for `task`; for a JSON answer the system prompt ends with its schema."""
    parts = template(task)
    system = parts["system"].substitute(values)
    if schema is not None:
        system += (
            "\n\nAnswer with one JSON object, nothing else, that matches this JSON schema:\n"
            + compact(readable(schema))
        )
    return [SystemMessage(content=system), HumanMessage(content=parts["user"].substitute(values))]
