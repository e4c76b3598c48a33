"""The judge: a configurable model that scores a text on a rubric, compares two texts with the
order swapped, applies a binary test to a story, and finds the unfaithful sentences of a summary.

Every call goes through `answers.ask`: the answer is validated against a schema built from the
rubric, asked again with the problem, and a judge that keeps answering badly fails loudly.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, create_model

from writersroom.config import ProjectConfig
from writersroom.errors import ConfigError
from writersroom.evals.settings import packaged_toml
from writersroom.providers import AgentModel, build_model
from writersroom.room import answers
from writersroom.room.prompting import render, template

AGENT = "judge"
REASON_CHARS = 240


def _score(value: Any) -> Any:
    """Accept 4, 4.0 and "4" for a score; anything else is left for validation to reject."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _clip(value: Any) -> Any:
    return value.strip()[:REASON_CHARS] if isinstance(value, str) else value


# Reasons are clipped rather than bounded in the schema: a maxLength makes llama.cpp's grammar
# several times slower to sample.
Reason = Annotated[str, BeforeValidator(_clip), StringConstraints(min_length=1)]
Score = Annotated[Literal[1, 2, 3, 4, 5], BeforeValidator(_score)]
Winner = Literal["first", "second", "tie"]


class Judgement(BaseModel):
    reason: Reason
    score: Score


class Preference(BaseModel):
    reason: Reason
    winner: Winner


class Verdict(BaseModel):
    reason: Reason
    verdict: Literal["yes", "no"]


class Faithfulness(BaseModel):
    """The judge's reading of a summary against its story."""

    unfaithful: list[int] = Field(description="numbers of the unfaithful summary sentences")
    explanation: Reason


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    question: str


@dataclass(frozen=True)
class Rubric:
    """A named set of criteria from `evals/rubrics/NAME.toml` (or any TOML file of that shape)."""

    name: str
    subject: str
    criteria: tuple[Criterion, ...]
    source: str = field(repr=False, default="")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.criteria]

    def describe(self) -> str:
        return "\n".join(f"- {c.key} ({c.label}): {c.question}" for c in self.criteria)


def load_rubric(name: str) -> Rubric:
    """A packaged rubric by name (`short_drama`, `hanna`) or a TOML file by path."""
    data, text = packaged_toml(name, "rubrics", "rubric", "short_drama, hanna")
    try:
        criteria = tuple(Criterion(**c) for c in data["criteria"])
        rubric = Rubric(data["name"], data["subject"], criteria, text)
    except (KeyError, TypeError) as exc:
        raise ConfigError(
            f"rubric {name}: expected name, subject and [[criteria]] ({exc})"
        ) from None
    if len(set(rubric.keys)) != len(rubric.keys) or not rubric.keys:
        raise ConfigError(f"rubric {name}: criteria keys must be present and unique")
    return rubric


def rubric_schema(rubric: Rubric) -> type[BaseModel]:
    """The judge's answer for a rubric: a reason and a 1-5 score per criterion."""
    fields: dict[str, Any] = {key: (Judgement, ...) for key in rubric.keys}
    return create_model(f"{rubric.name.title().replace('_', '')}Scores", **fields)


def pairwise_schema(rubric: Rubric) -> type[BaseModel]:
    """The judge's answer when comparing two texts: a winner per criterion and overall."""
    fields: dict[str, Any] = {key: (Preference, ...) for key in rubric.keys}
    fields["overall"] = (Preference, ...)
    return create_model(f"{rubric.name.title().replace('_', '')}Preferences", **fields)


def fingerprint(task: str, *parts: str) -> str:
    """A short hash of a prompt template and what else shapes an answer (a rubric's text):
    cached results are reused only while these stay the same."""
    text = "\n".join(str(t.template) for t in template(task).values())
    return hashlib.sha256("\n".join([text, *parts]).encode()).hexdigest()[:12]


def combine_pairwise(ab: dict[str, Any], ba: dict[str, Any]) -> dict[str, Any]:
    """Merge two comparisons of the same pair, A shown first in `ab` and second in `ba`.

    Per criterion, `a` is A's preference in [0, 1] (1 win, 0.5 tie, 0 loss) averaged over both
    orders, so a judge that always prefers one position ends at 0.5; `consistent` says whether
    both orders agreed.
    """
    first = {"first": 1.0, "second": 0.0, "tie": 0.5}
    merged = {}
    for key, shown_first in ab.items():
        shown_second = ba[key]
        a_first = first[shown_first["winner"]]
        a_second = 1.0 - first[shown_second["winner"]]
        merged[key] = {
            "a": (a_first + a_second) / 2,
            "consistent": a_first == a_second,
            "reasons": [shown_first["reason"], shown_second["reason"]],
        }
    return merged


class Judge:
    """A judge model; thread-safe; keeps its own token and time totals."""

    def __init__(
        self,
        spec: str,
        model: AgentModel,
        attempts: int = 3,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.attempts = attempts
        self.report = report
        self._lock = threading.Lock()
        self.usage: list[answers.Usage] = []

    def _record(self, usage: answers.Usage) -> None:
        with self._lock:
            self.usage.append(usage)
        if usage.problem and self.report:
            self.report(f"judge answer rejected, asking again: {usage.problem}")

    def _ask(
        self,
        task: str,
        schema: type[BaseModel],
        json_schema: dict[str, Any] | None = None,
        check: Any = None,
        **values: str,
    ) -> Any:
        json_schema = json_schema or schema.model_json_schema()
        return answers.ask(
            self.model,
            schema,
            render(task, json_schema, **values),
            agent=AGENT,
            task=task,
            attempts=self.attempts,
            on_usage=self._record,
            check=check,
            json_schema=json_schema,
        )

    def score(self, rubric: Rubric, text: str, context: str = "") -> dict[str, dict[str, Any]]:
        """{criterion: {"score": 1-5, "reason": ...}} for one text."""
        answer = self._ask(
            "judge_rubric",
            rubric_schema(rubric),
            subject=rubric.subject,
            criteria=rubric.describe(),
            context=context,
            text=text,
        )
        return answer.model_dump()

    def prefer(
        self, rubric: Rubric, first: str, second: str, context: str = ""
    ) -> dict[str, dict[str, Any]]:
        """{criterion and "overall": {"winner": first|second|tie, "reason": ...}}: one order."""
        answer = self._ask(
            "judge_pairwise",
            pairwise_schema(rubric),
            subject=rubric.subject,
            criteria=rubric.describe(),
            context=context,
            first=first,
            second=second,
        )
        return answer.model_dump()

    def compare(self, rubric: Rubric, a: str, b: str, context: str = "") -> dict[str, Any]:
        """Compare A and B twice, in both orders, and merge (see `combine_pairwise`)."""
        return combine_pairwise(
            self.prefer(rubric, a, b, context), self.prefer(rubric, b, a, context)
        )

    def test(self, test: str, story: str) -> dict[str, Any]:
        """{"verdict": "yes"|"no", "reason": ...}: does `story` pass a binary `test`?"""
        return self._ask("judge_binary", Verdict, test=test, story=story).model_dump()

    def faithfulness(self, story: str, sentences: list[str]) -> dict[str, Any]:
        """{"unfaithful": [sentence numbers, from 1], "explanation": ...} for a summary."""
        count = len(sentences)

        def check(answer: Faithfulness) -> None:
            wrong = sorted({n for n in answer.unfaithful if not 1 <= n <= count})
            if wrong:
                raise ValueError(f"the summary has sentences 1-{count}; there is no {wrong}")

        json_schema = Faithfulness.model_json_schema()
        json_schema["properties"]["unfaithful"]["items"] = {
            "type": "integer",
            "enum": list(range(1, count + 1)),
        }
        json_schema["properties"]["unfaithful"]["maxItems"] = count
        answer = self._ask(
            "judge_consistency",
            Faithfulness,
            json_schema,
            check,
            story=story,
            summary="\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1)),
        )
        result = answer.model_dump()
        result["unfaithful"] = sorted(set(result["unfaithful"]))
        return result

    def totals(self) -> dict[str, Any]:
        with self._lock:
            return {
                "model": self.spec,
                "calls": len(self.usage),
                "rejected": sum(1 for u in self.usage if u.problem),
                "input_tokens": sum(u.input_tokens for u in self.usage),
                "output_tokens": sum(u.output_tokens for u in self.usage),
                "seconds": round(sum(u.seconds for u in self.usage), 2),
            }


def build_judge(
    spec: str, config: ProjectConfig, folder: Path, report: Callable[[str], None] | None = None
) -> Judge:
    """The judge model `spec` (any provider:model the configuration knows), at temperature 0
    where the provider has one, so a judgement can be repeated."""
    model = build_model(spec, config, folder)
    if "temperature" in type(model.chat).model_fields:
        model.chat = model.chat.model_copy(update={"temperature": 0.0})
    return Judge(spec, model, config.room.answer_attempts, report)
