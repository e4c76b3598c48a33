"""Asking an agent's model for a structured answer: validate, re-ask with the error, fail loudly."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from writersroom.errors import AnswerError, ModelError
from writersroom.providers import AgentModel

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")  # what a prose answer is read into
FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
REJECTED_SHOWN = 4000  # characters of a rejected answer shown back with the re-ask: a runaway
# answer, repeated whole, would leave the next one no room in a small model's context


class InvalidAnswer(Exception):
    """The model's answer is not JSON, or not of the asked schema."""


@dataclass
class Usage:
    agent: str
    model: str
    task: str
    input_tokens: int
    output_tokens: int
    seconds: float
    problem: str = ""  # why the answer was rejected; empty when it was accepted
    refused: str = ""  # the rejected answer as written (clipped), for whoever reads why


def usage_of(
    reply: BaseMessage, agent: str, model: str, task: str, started: float, problem: str = ""
) -> Usage:
    """An answer's tokens (as its provider reported them) and its seconds since `started`; a
    rejected answer (`problem`) keeps its text."""
    usage = getattr(reply, "usage_metadata", None) or {}
    return Usage(
        agent,
        model,
        task,
        usage.get("input_tokens", 0),
        usage.get("output_tokens", 0),
        time.perf_counter() - started,
        problem,
        clip(str(reply.content), REJECTED_SHOWN) if problem else "",
    )


def summarize(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def with_choices(
    schema: dict[str, Any], model: str, field: str, choices: list[str]
) -> dict[str, Any]:
    """A copy of a JSON schema in which `model.field` (or its list items) is one of `choices`.

    Constrained decoding then cannot write anything else, e.g. a speaker outside the cast.
    """
    narrowed = copy.deepcopy(schema)
    definitions = narrowed.get("$defs", {})
    target = definitions.get(model, narrowed)
    prop = target["properties"][field]
    if prop.get("type") == "array":
        prop = prop["items"]
    prop.clear()
    prop.update({"type": "string", "enum": list(choices)})
    return narrowed


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at the last sentence end that fits, else between
    words (a title of 70 characters for a field of 60 loses its last words, whole)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("。"))
    if end > limit // 3:
        return cut[: end + 1]
    space = text.rfind(" ", 0, limit + 1)
    return text[:space].rstrip(" ,;:-–—") if space > limit // 2 else cut.rstrip()


def _clipped(data: Any, schema: type[BaseModel]) -> Any:
    """`data` with every string that is too long for its field cut to fit, at a sentence end
    where one fits: a small model's over-long note is read, not refused (grammars do not spell
    out long length bounds)."""
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] != "string_too_long":
                continue
            *path, key = error["loc"]
            holder = data
            try:
                for step in path:
                    holder = holder[step]
                if not isinstance(holder[key], str):
                    continue
            except (KeyError, IndexError, TypeError):
                continue  # a union's branch name in the path: left to the validation error
            holder[key] = clip(holder[key], error["ctx"]["max_length"])
    return data


def parse(text: str, schema: type[T], check: Callable[[T], None] | None = None) -> T:
    """Parse a model's text as `schema`, repairing code fences and prose around the JSON."""
    cleaned = FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        raise InvalidAnswer(f"the answer is not a JSON object: {text[:80]!r}")
    try:
        data = json.loads(cleaned[start : end + 1])
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"the answer is not valid JSON ({exc.msg} at char {exc.pos})") from None
    try:
        value = schema.model_validate(_clipped(data, schema))
    except ValidationError as exc:
        raise InvalidAnswer(
            f"the answer does not match {schema.__name__}: {summarize(exc)}"
        ) from None
    if check is not None:
        try:
            check(value)
        except ValueError as exc:
            raise InvalidAnswer(str(exc)) from None
    return value


def ask(
    model: AgentModel,
    schema: type[T],
    messages: list[BaseMessage],
    *,
    agent: str,
    task: str,
    attempts: int,
    on_usage: Callable[[Usage], None],
    check: Callable[[T], None] | None = None,
    json_schema: dict[str, Any] | None = None,
    callbacks: list[Any] | None = None,
) -> T:
    """Ask `model` for one `schema` object; re-ask with the problem up to `attempts` times.

    `json_schema` (default: the schema's own) is what the model is constrained to; the answer
    is validated with `schema` and `check` either way.

    Raises:
        ModelError: the endpoint failed; `AnswerError` (a ModelError): no valid answer came in
            `attempts` tries.
    """
    bound = model.chat.bind(**model.json_kwargs(json_schema or schema.model_json_schema()))
    return _until_valid(
        model,
        bound,
        messages,
        lambda text: parse(text, schema, check),
        f"Answer again with one JSON object of the {schema.__name__} schema, nothing else.",
        f"no valid {schema.__name__}",
        agent=agent,
        task=task,
        attempts=attempts,
        on_usage=on_usage,
        callbacks=callbacks,
    )


def ask_text(
    model: AgentModel,
    messages: list[BaseMessage],
    read: Callable[[str], R],
    *,
    agent: str,
    task: str,
    attempts: int,
    on_usage: Callable[[Usage], None],
    what: str,
    stop: list[str] | None = None,
    max_tokens: int | None = None,
    callbacks: list[Any] | None = None,
) -> R:
    """Ask `model` for prose (a screenplay scene, say) that `read` turns into `T`.

    `read` raises ValueError with a concrete problem; the model is asked again with it, up to
    `attempts` times. `stop` ends the answer early; `max_tokens` bounds it.
    """

    def read_answer(text: str) -> R:
        try:
            return read(text)
        except ValueError as exc:
            raise InvalidAnswer(str(exc)) from None

    bound = model.chat.bind(**model.text_kwargs(stop, max_tokens))
    return _until_valid(
        model,
        bound,
        messages,
        read_answer,
        f"Write the {what} again, as asked.",
        f"no usable {what}",
        agent=agent,
        task=task,
        attempts=attempts,
        on_usage=on_usage,
        callbacks=callbacks,
        show_rejected=False,
    )


def _until_valid(
    model: AgentModel,
    bound: Any,
    messages: list[BaseMessage],
    read: Callable[[str], R],
    again: str,
    failure: str,
    *,
    agent: str,
    task: str,
    attempts: int,
    on_usage: Callable[[Usage], None],
    callbacks: list[Any] | None = None,
    show_rejected: bool = True,
) -> R:
    """Invoke `bound` until `read` accepts an answer; each rejection is told to the model, with
    the rejected answer (`show_rejected`) or without it: a small model shown its prose answer
    writes it again."""
    history = list(messages)
    config = {
        "metadata": {"agent": agent, "task": task},
        "run_name": f"{agent}.{task}",
        "callbacks": callbacks or [],
    }
    try:
        for attempt in Retrying(
            stop=stop_after_attempt(attempts),
            retry=retry_if_exception_type(InvalidAnswer),
            reraise=True,
        ):
            with attempt:
                started = time.perf_counter()
                try:
                    reply = bound.invoke(history, config=config)
                except model.transport_errors as exc:
                    raise ModelError(agent, model.name, model.describe_error(exc)) from None
                text = str(reply.content)
                try:
                    value, problem = read(text), ""
                except InvalidAnswer as exc:
                    value, problem = None, str(exc)
                on_usage(usage_of(reply, agent, model.name, task, started, problem))
                if value is not None:
                    return value
                if show_rejected:
                    history += [
                        AIMessage(content=clip(text, REJECTED_SHOWN)),
                        HumanMessage(content=f"That answer was rejected: {problem}. {again}"),
                    ]
                else:  # asked afresh, told only what was wrong
                    *before, asked = messages
                    note = f"An earlier answer to this was refused: {problem}. {again}"
                    history = [*before, HumanMessage(content=f"{asked.content}\n\n{note}")]
                raise InvalidAnswer(problem)
    except InvalidAnswer as exc:
        raise AnswerError(
            agent, model.name, f"{failure} in {attempts} attempts; last: {exc}"
        ) from None
    raise AssertionError("unreachable: tenacity either returns or raises")
