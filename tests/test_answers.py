"""Structured answers: repair, validation, re-asking with the error, and failing loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import calls
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from writersroom.config import ProviderConfig
from writersroom.errors import ModelError
from writersroom.providers import scripted
from writersroom.room.answers import InvalidAnswer, ask, parse, with_choices
from writersroom.room.prompting import readable, render
from writersroom.schemas import Script, SeriesBible


class Verdict(BaseModel):
    verdict: str
    score: int


def test_parse_repairs_fences_and_prose() -> None:
    text = 'Sure! Here it is:\n```json\n{"verdict": "approve", "score": 4}\n```\nEnjoy.'
    assert parse(text, Verdict) == Verdict(verdict="approve", score=4)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no json here", "the answer is not a JSON object"),
        ('{"verdict": "approve", "score": 4', "the answer is not a JSON object"),
        ('{"verdict": "approve", score: 4}', "the answer is not valid JSON"),
        ('{"verdict": "approve"}', "does not match Verdict: score: Field required"),
    ],
)
def test_parse_names_the_problem(text: str, problem: str) -> None:
    with pytest.raises(InvalidAnswer, match=problem):
        parse(text, Verdict)


def _model(tmp_path: Path, replies: list) -> scripted.AgentModel:
    (tmp_path / "answers.json").write_text(json.dumps({"judge": replies}))
    return scripted.build("answers.json", ProviderConfig(kind="scripted"), tmp_path)


def test_an_invalid_answer_is_asked_again_with_the_error(tmp_path: Path) -> None:
    model = _model(
        tmp_path, ["not json at all", {"verdict": "approve"}, {"verdict": "approve", "score": 5}]
    )
    seen = []
    answer = ask(
        model,
        Verdict,
        [SystemMessage("judge"), HumanMessage("the draft")],
        agent="editor",
        task="judge",
        attempts=3,
        on_usage=seen.append,
    )
    assert answer == Verdict(verdict="approve", score=5)
    assert [u.problem != "" for u in seen] == [True, True, False]
    third = calls(tmp_path, "judge")[2]["messages"]
    assert [m["role"] for m in third] == ["system", "human", "ai", "human", "ai", "human"]
    assert "score: Field required" in third[-1]["content"]


def test_a_model_that_never_answers_well_fails_naming_agent_and_model(tmp_path: Path) -> None:
    model = _model(tmp_path, ["nope"])
    with pytest.raises(ModelError) as err:
        ask(
            model,
            Verdict,
            [HumanMessage("judge")],
            agent="editor",
            task="judge",
            attempts=2,
            on_usage=lambda _: None,
        )
    assert str(err.value) == (
        "editor (scripted:answers.json): no valid Verdict in 2 attempts; "
        "last: the answer is not a JSON object: 'nope'"
    )
    assert len(calls(tmp_path, "judge")) == 2


def test_with_choices_narrows_a_field_for_constrained_decoding() -> None:
    schema = with_choices(Script.model_json_schema(), "Line", "speaker", ["Lin Mei", "Lin Yue"])
    assert schema["$defs"]["Line"]["properties"]["speaker"] == {
        "type": "string",
        "enum": ["Lin Mei", "Lin Yue"],
    }
    assert "enum" not in Script.model_json_schema()["$defs"]["Line"]["properties"]["speaker"]


def test_an_over_long_string_is_cut_to_fit_at_a_sentence_end() -> None:
    from writersroom.schemas import Critique

    note = "Tighten scene two. " * 40  # 760 characters, the field takes 600
    text = json.dumps(
        {
            "scores": dict.fromkeys(
                [
                    "hook",
                    "conflict",
                    "reversal",
                    "cliffhanger",
                    "character_consistency",
                    "dialogue",
                    "pacing",
                ],
                4,
            ),
            "notes": [note],
            "verdict": "revise",
        }
    )
    critique = parse(text, Critique)
    assert len(critique.notes[0]) <= 600 and critique.notes[0].endswith("Tighten scene two.")


def test_an_over_long_title_is_cut_between_words() -> None:
    from writersroom.schemas import EpisodeOutline

    title = "The Night Nurse Finds the Ledger That Names the Man Who Framed Her Father"  # 73
    outline = {
        "number": 1,
        "title": title,
        "hook": "A monitor flatlines.",
        "beats": [{"at_seconds": 5, "description": "a"}, {"at_seconds": 20, "description": "b"}],
        "reversal": "He knew all along.",
        "cliffhanger": "Her badge is gone.",
        "target_runtime_seconds": 60,
    }
    read = parse(json.dumps(outline), EpisodeOutline)
    assert len(read.title) <= 60
    assert title.startswith(read.title) and title[len(read.title)] == " "
    assert read.title.split() == title.split()[: len(read.title.split())]


def test_the_prompt_shows_the_schema_without_what_tells_the_model_nothing() -> None:
    """Titles, `minLength` and long `maxLength` bounds leave the prompt's schema (a third of
    its tokens); names, descriptions, short bounds, enums and ranges stay."""
    schema = SeriesBible.model_json_schema()
    system = render("develop_series", schema, premise="p", language="", episodes="8", revision="")
    shown = json.loads(system[0].content.split("this JSON schema:\n", 1)[1])
    assert shown == readable(schema)
    character = shown["$defs"]["Character"]
    assert character["properties"]["name"] == {"maxLength": 60, "type": "string"}
    assert character["properties"]["age"] == {"maximum": 120, "minimum": 1, "type": "integer"}
    assert character["properties"]["look"]["description"].startswith("face, build, costume")
    assert "title" in shown["properties"] and "title" not in shown
    assert '"minLength"' not in system[0].content and '"maxLength":600' not in system[0].content
    assert readable(schema) != schema  # the request's own schema is left as it was
    assert schema["properties"]["logline"]["maxLength"] == 600
