"""The local provider: a real llama.cpp model, and the embedded model's assembly from parts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import pytest
from conftest import smollm2
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from writersroom.config import ProviderConfig
from writersroom.errors import ConfigError, ModelError
from writersroom.providers import local
from writersroom.room import answers

pytestmark = pytest.mark.slow  # a real llama.cpp model


class Pitch(BaseModel):
    title: str = Field(max_length=40)
    genre: Literal["revenge", "romance", "hidden identity"]
    characters: list[str] = Field(min_length=1, max_length=3)


def test_llama_cpp_answers_in_the_schema(tmp_path: Path) -> None:
    model = local.build(
        str(smollm2()), ProviderConfig(kind="local", context_tokens=2048, max_tokens=200), tmp_path
    )
    seen: list[answers.Usage] = []
    pitch = answers.ask(
        model,
        Pitch,
        [
            SystemMessage("Pitch a short drama. Answer in JSON: title, genre, characters."),
            HumanMessage("Twin sisters swapped at birth fight over the family empire."),
        ],
        agent="showrunner",
        task="develop_series",
        attempts=3,
        on_usage=seen.append,
    )
    assert isinstance(pitch, Pitch)
    assert seen[-1].problem == "" and seen[-1].input_tokens > 10 and seen[-1].output_tokens > 5


class Counter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: object) -> None:
        self.tokens.append(token)


def test_prose_streams_within_its_budget_and_stops_where_told(tmp_path: Path) -> None:
    """Screenplay text: streamed token by token to the callbacks, within its token budget, cut
    at a stop string."""
    model = local.build(
        str(smollm2()), ProviderConfig(kind="local", context_tokens=2048, threads=2), tmp_path
    )
    seen = Counter()
    bound = model.chat.bind(**model.text_kwargs(["\nEXT."], 40))
    reply = bound.invoke(
        [
            SystemMessage("You write screenplays."),
            HumanMessage("Write a scene in a hospital at night, then one on a street."),
        ],
        config={"callbacks": [seen]},
    )
    text = str(reply.content)
    assert text
    assert "".join(seen.tokens) == text
    assert "\nEXT." not in text
    usage = reply.usage_metadata
    assert usage is not None and 0 < usage["output_tokens"] <= 40
    assert len(seen.tokens) <= usage["output_tokens"] + 1
    assert usage["input_tokens"] > 15  # the prompt in the model's chat template
    assert model.writes_screenplay


def test_a_prompt_longer_than_the_context_is_a_model_error(tmp_path: Path) -> None:
    settings = ProviderConfig(kind="local", context_tokens=512, max_tokens=50, threads=1)
    model = local.build(str(smollm2()), settings, tmp_path)
    with pytest.raises(ModelError, match=r"of the 512-token context for the answer; raise \[prov"):
        answers.ask(
            model,
            Pitch,
            [HumanMessage("Twin sisters swapped at birth. " * 200)],
            agent="showrunner",
            task="develop_series",
            attempts=3,
            on_usage=print,
        )


def test_an_answer_budget_larger_than_the_context_left_shrinks_to_fit(tmp_path: Path) -> None:
    settings = ProviderConfig(kind="local", context_tokens=1024, max_tokens=4096, threads=1)
    model = local.build(str(smollm2()), settings, tmp_path)
    seen: list[answers.Usage] = []
    pitch = answers.ask(
        model,
        Pitch,
        [HumanMessage("Pitch a drama about twin sisters swapped at birth. " * 12)],
        agent="showrunner",
        task="develop_series",
        attempts=3,
        on_usage=seen.append,
    )
    assert isinstance(pitch, Pitch)
    assert all(u.input_tokens + u.output_tokens <= 1024 for u in seen)


def test_a_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither an embedded model"):
        local.build("no-such-model.gguf", ProviderConfig(kind="local"), tmp_path)


def _parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, chunk in enumerate(chunks, 1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    return paths


def test_assemble_concatenates_in_order_and_verifies(tmp_path: Path) -> None:
    chunks = [b"GGUF" + bytes(range(256)) * 100, b"middle" * 1000, b"end"]
    whole = b"".join(chunks)
    target = tmp_path / "cache" / "model.gguf"
    digest = hashlib.sha256(whole).hexdigest()
    assert local.assemble(_parts(tmp_path, chunks), target, digest, len(whole)) == target
    assert target.read_bytes() == whole
    # a second use trusts the stamp and does not rewrite the file
    mtime = target.stat().st_mtime_ns
    local.assemble(_parts(tmp_path, chunks), target, digest, len(whole))
    assert target.stat().st_mtime_ns == mtime


def test_assemble_refuses_a_tampered_part_and_leaves_nothing(tmp_path: Path) -> None:
    chunks = [b"GGUF" * 1000, b"tail" * 10]
    digest = hashlib.sha256(b"".join(chunks)).hexdigest()
    tampered = [chunks[0], b"TAIL" * 10]
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(ConfigError, match="does not match the official release"):
        local.assemble(_parts(tmp_path, tampered), target, digest, 4040)
    assert list(target.parent.iterdir()) == []


def test_embedded_model_parts_are_installed_in_order() -> None:
    parts = local.embedded_parts(local.EMBEDDED["qwen2.5-coder-1.5b"])
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert sum(p.stat().st_size for p in parts) == local.EMBEDDED["qwen2.5-coder-1.5b"].size
