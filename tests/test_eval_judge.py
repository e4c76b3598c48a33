"""The judge: parsing recorded answers (good and malformed), re-asking, pairwise order swap,
and the consistency detector's checks, through the real scripted provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA

from writersroom.config import ProjectConfig
from writersroom.errors import ModelError
from writersroom.evals.judge import (
    REASON_CHARS,
    build_judge,
    combine_pairwise,
    load_rubric,
    rubric_schema,
)
from writersroom.providers.scripted import read_calls
from writersroom.room.answers import InvalidAnswer, parse

RECORDED = json.loads((DATA / "judge_answers.json").read_text(encoding="utf-8"))
HANNA = load_rubric("hanna")
DRAMA = load_rubric("short_drama")


def test_recorded_answers_parse_with_their_scores() -> None:
    first, second = (
        parse(text, rubric_schema(HANNA)).model_dump() for text in RECORDED["recorded"]
    )
    assert [first[k]["score"] for k in HANNA.keys] == [5, 5, 5, 3, 5, 3]
    assert [second[k]["score"] for k in HANNA.keys] == [1, 1, 1, 1, 1, 1]
    assert first["relevance"]["reason"].startswith("The story matches the prompt")


@pytest.mark.parametrize("name", ["fenced", "prose_around", "score_as_text"])
def test_repairable_answers_are_accepted(name: str) -> None:
    answer = parse(RECORDED[name], rubric_schema(HANNA)).model_dump()
    assert answer["surprise"]["score"] in (3, 4)
    assert set(answer) == set(HANNA.keys)


def test_a_long_reason_is_clipped_not_rejected() -> None:
    answer = parse(RECORDED["long_reason"], rubric_schema(HANNA)).model_dump()
    assert len(answer["empathy"]["reason"]) == REASON_CHARS


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("truncated", "not valid JSON"),
        ("not_json", "not a JSON object"),
        ("score_out_of_range", "surprise.score"),
        ("score_as_word", "surprise.score"),
        ("missing_criterion", "complexity: Field required"),
        ("empty_reason", "empathy.reason"),
    ],
)
def test_malformed_answers_are_rejected_with_the_problem(name: str, problem: str) -> None:
    with pytest.raises(InvalidAnswer, match=problem):
        parse(RECORDED[name], rubric_schema(HANNA))


def scripted_judge(tmp_path: Path, replies: dict[str, list[Any]]):
    tmp_path.mkdir(exist_ok=True)
    file = tmp_path / "judge.json"
    file.write_text(json.dumps(replies), encoding="utf-8")
    return build_judge(f"scripted:{file}", ProjectConfig(), tmp_path)


def test_a_malformed_answer_is_asked_again_with_the_problem(tmp_path: Path) -> None:
    judge = scripted_judge(
        tmp_path, {"judge_rubric": [RECORDED["truncated"], RECORDED["recorded"][1]]}
    )
    scores = judge.score(HANNA, "Once upon a time.", "Writing prompt: a time")
    assert scores["relevance"]["score"] == 1
    calls = read_calls(tmp_path)
    assert len(calls) == 2
    assert (
        "That answer was rejected: the answer is not valid JSON"
        in calls[1]["messages"][-1]["content"]
    )
    assert "Once upon a time." in calls[0]["messages"][1]["content"]
    assert "relevance (Relevance (RE))" in calls[0]["messages"][0]["content"]
    assert judge.totals()["calls"] == 2
    assert judge.totals()["rejected"] == 1


def test_a_judge_that_keeps_answering_badly_fails_loudly(tmp_path: Path) -> None:
    judge = scripted_judge(tmp_path, {"judge_rubric": [RECORDED["score_out_of_range"]]})
    with pytest.raises(ModelError, match=r"judge \(scripted:.*no valid HannaScores in 3 attempts"):
        judge.score(HANNA, "text")
    assert len(read_calls(tmp_path)) == 3


def preference(winner: str, keys: list[str]) -> dict[str, Any]:
    return {k: {"reason": f"{winner} is better", "winner": winner} for k in [*keys, "overall"]}


def test_pairwise_swaps_the_order_and_cancels_position_bias(tmp_path: Path) -> None:
    keys = DRAMA.keys
    # A judge that always prefers whatever is shown first.
    biased = scripted_judge(
        tmp_path / "biased", {"judge_pairwise": [preference("first", keys)] * 2}
    )
    merged = biased.compare(DRAMA, "SCRIPT A", "SCRIPT B", "Premise: p")
    assert merged["hook"]["a"] == 0.5
    assert merged["overall"]["consistent"] is False
    calls = read_calls(tmp_path / "biased")
    assert calls[0]["messages"][1]["content"].index("SCRIPT A") < calls[0]["messages"][1][
        "content"
    ].index("SCRIPT B")
    assert calls[1]["messages"][1]["content"].index("SCRIPT B") < calls[1]["messages"][1][
        "content"
    ].index("SCRIPT A")


def test_pairwise_merges_agreeing_and_tied_verdicts() -> None:
    keys = ["hook", "pacing"]
    ab = {"hook": {"winner": "first", "reason": "a"}, "pacing": {"winner": "tie", "reason": "t"}}
    ba = {"hook": {"winner": "second", "reason": "a"}, "pacing": {"winner": "first", "reason": "b"}}
    merged = combine_pairwise(ab, ba)
    assert merged["hook"] == {"a": 1.0, "consistent": True, "reasons": ["a", "a"]}
    assert merged["pacing"]["a"] == 0.25  # a tie, then B
    assert merged["pacing"]["consistent"] is False
    assert set(merged) == set(keys)


def test_consistency_answers_must_name_real_sentences(tmp_path: Path) -> None:
    replies = {
        "judge_consistency": [
            {"unfaithful": [2, 9], "explanation": "sentence 9 is wrong"},
            {"unfaithful": [2, 2], "explanation": "He never went to rehab."},
        ]
    }
    judge = scripted_judge(tmp_path, replies)
    answer = judge.faithfulness("The story.", ["One.", "Two.", "Three."])
    assert answer == {"unfaithful": [2], "explanation": "He never went to rehab."}
    calls = read_calls(tmp_path)
    assert "the summary has sentences 1-3; there is no [9]" in calls[1]["messages"][-1]["content"]
    assert "1. One.\n2. Two.\n3. Three." in calls[0]["messages"][1]["content"]
