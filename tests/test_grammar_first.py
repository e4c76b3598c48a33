"""Grammar-first sampling on a real model (SmolLM2 through llama.cpp): held to the grammar,
and with greedy sampling the same answer as checking the whole vocabulary at every token."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from conftest import smollm2
from langchain_core.messages import HumanMessage

from writersroom.config import ProviderConfig
from writersroom.providers import grammar_first, local
from writersroom.providers.local import import_llama_cpp

pytestmark = pytest.mark.slow  # a real llama.cpp model

CARD = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 18, "maximum": 90},
        "mood": {"enum": ["calm", "furious", "afraid"]},
        "lines": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3},
    },
    "required": ["name", "age", "mood", "lines"],
}
CODE = {"type": "object", "properties": {"code": {"enum": ["ZX-9Q"]}}, "required": ["code"]}
PROMPT = (
    "<|im_start|>user\nA character card for a nurse in a hospital drama, as JSON: name, age, "
    "mood and two lines she says.<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.fixture(scope="module")
def llama_cpp() -> ModuleType:
    return import_llama_cpp()


def answer(llama_cpp: ModuleType, cls: type, schema: dict, temperature: float) -> str:
    grammar = llama_cpp.LlamaGrammar.from_json_schema(
        json.dumps(local.grammar_schema(schema)), verbose=False
    )
    llama = cls(model_path=str(smollm2()), n_ctx=1024, n_threads=2, verbose=False, seed=7)
    try:
        result = llama.create_completion(
            PROMPT, max_tokens=300, grammar=grammar, temperature=temperature, seed=7
        )
        return result["choices"][0]["text"]
    finally:
        llama.close()


def test_greedy_answers_are_the_same_as_with_the_whole_vocabulary_checked(
    llama_cpp: ModuleType,
) -> None:
    for schema in (CARD, CODE):
        first = answer(llama_cpp, grammar_first.llama_class(llama_cpp), schema, 0.0)
        full = answer(llama_cpp, llama_cpp.Llama, schema, 0.0)
        assert first == full
        json.loads(first)


def test_sampled_answers_keep_to_the_grammar(llama_cpp: ModuleType) -> None:
    text = answer(llama_cpp, grammar_first.llama_class(llama_cpp), CARD, 0.8)
    card = json.loads(text)
    assert set(card) == {"name", "age", "mood", "lines"}
    assert 18 <= card["age"] <= 90 and card["mood"] in CARD["properties"]["mood"]["enum"]
    assert 2 <= len(card["lines"]) <= 3


def test_a_token_the_grammar_refuses_is_sampled_again_under_it(llama_cpp: ModuleType) -> None:
    llama = grammar_first.llama_class(llama_cpp)(
        model_path=str(smollm2()), n_ctx=1024, n_threads=2, verbose=False, seed=7
    )
    grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(CODE), verbose=False)
    try:
        tokens = llama.tokenize(PROMPT.encode(), special=True)
        produced = []
        for token in llama.generate(tokens, temp=0.0, grammar=grammar):
            if token == llama.token_eos() or len(produced) > 40:
                break
            produced.append(token)
        sampler = llama._sampler
        assert isinstance(sampler, grammar_first.GrammarFirst)
        assert sampler.refusals > 0  # a nurse's card is not what the model would write here
        assert json.loads(llama.detokenize(produced).decode()) == {"code": "ZX-9Q"}
    finally:
        llama.close()


def test_the_grammar_holds_integer_ranges_and_strings_to_json(tmp_path: Path) -> None:
    """llama-cpp-python's own schema grammars let 45 through for "at most 30" and raw newlines
    into strings; the provider's grammar holds both, answer after sampled answer."""
    schema = {
        "type": "object",
        "properties": {
            "seconds": {"type": "number", "minimum": 1, "maximum": 30},
            "note": {"type": "string"},
        },
        "required": ["seconds", "note"],
    }
    model = local.build(
        str(smollm2()), ProviderConfig(kind="local", context_tokens=1024, threads=2), tmp_path
    )
    for seed in range(4):
        reply = model.chat.invoke(
            [
                HumanMessage(
                    f"Take {seed}: the shot lasts 45 seconds. Answer as JSON: seconds, and a "
                    "note of three lines, one per line."
                )
            ],
            json_schema=schema,
            max_tokens=120,
        )
        answer = json.loads(str(reply.content))  # strict: no raw control characters
        assert 1 <= answer["seconds"] <= 30
