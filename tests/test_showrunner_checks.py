"""The bible's deterministic checks in the room: the premise's people kept, loglines distinct."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import RecordedOpenAI, answers, make_project, on_loopback, rows, wr

from writersroom.agents import showrunner
from writersroom.providers.scripted import read_calls
from writersroom.schemas import SeriesBible


def test_copied_loglines_are_written_anew_on_their_own(tmp_path: Path) -> None:
    """The copies are asked for again as a numbered list, each told the turn it brings and
    not shown the copy; a list without them is asked for again."""
    bible = answers()["develop_series"][0]
    bible["season_arc"] = [
        {"number": 1, "logline": "Lin Mei finds the birth record in the archive."},
        {"number": 2, "logline": "Lin Yue finds the birth record in the archive."},
        {"number": 3, "logline": "The board votes."},
    ]
    unnumbered = "Here is the arc: Yue burns the record."
    fixed = (
        "Sure!\n1: Lin Mei finds the birth record in the archive.\n"
        "**2 [a discovery]:** Yue burns the record before dawn.\n3. The board votes.\n"
    )
    replies = answers() | {"develop_series": [bible], "rewrite_loglines": [unnumbered, fixed]}
    project = make_project(tmp_path / "p", replies)
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    (content,) = rows(project, "select content from drafts where kind = 'bible'")
    arc = [e["logline"] for e in json.loads(content[0])["season_arc"]]
    assert arc == [
        "Lin Mei finds the birth record in the archive.",
        "Yue burns the record before dawn.",
        "The board votes.",
    ]
    asks = [c for c in read_calls(project) if c["task"] == "rewrite_loglines"]
    assert len(asks) == 2
    asked = asks[0]["messages"][-1]["content"]
    assert (
        "1: Lin Mei finds the birth record in the archive.\n2 [a discovery]:\n3: The board" in asked
    )
    assert "Lin Yue finds" not in asked
    assert "give the loglines of episodes 2" in asks[1]["messages"][-1]["content"]
    assert rows(project, "select count(*) from usage where task = 'develop_series'") == [(1,)]


@pytest.mark.parametrize(
    "rewrites",
    [
        ["2: Chen Hao finds the birth record in the archive."],
        # what the embedded model wrote, asked for 7 and 8: the arc from 1 again, three times
        ["1: Lin Mei finds the birth record.\n3 [a reversal]:"] * 3,
    ],
    ids=["still-copied", "never-given"],
)
def test_a_logline_still_copied_or_never_rewritten_is_dropped(
    tmp_path: Path, rewrites: list[str]
) -> None:
    bible = answers()["develop_series"][0]
    bible["season_arc"] = [
        {"number": 1, "logline": "Lin Mei finds the birth record in the archive."},
        {"number": 2, "logline": "Lin Yue finds the birth record in the archive."},
        {"number": 3, "logline": "The board votes."},
    ]
    replies = answers() | {"develop_series": [bible], "rewrite_loglines": rewrites}
    project = make_project(tmp_path / "p", replies)
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    (content,) = rows(project, "select content from drafts where kind = 'bible'")
    arc = json.loads(content[0])["season_arc"]
    assert [e["number"] for e in arc] == [1, 3]
    asked = rows(project, "select count(*) from usage where task = 'rewrite_loglines'")
    assert asked == [(len(rewrites),)]


def test_a_bible_that_loses_the_premise_people_is_revised_once(tmp_path: Path) -> None:
    kept = answers()["develop_series"][0]
    lost = json.loads(json.dumps(kept))
    lost["logline"] = "A young woman fights for the family company."
    for character in lost["characters"]:
        character["role"] = "heroine"
        character["arc"] = "grows up"
        character["secrets"] = []
    replies = answers() | {"develop_series": [lost, kept]}
    project = make_project(tmp_path / "p", replies)
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert rows(project, "select count(*) from usage where task = 'develop_series'") == [(2,)]
    asked = [c for c in read_calls(project) if c["task"] == "develop_series"]
    assert "the premise's sister, twin must be in the bible" in asked[1]["messages"][-1]["content"]
    (content,) = rows(project, "select content from drafts where kind = 'bible'")
    assert json.loads(content[0])["characters"][1]["role"] == "twin sister"


def test_a_bible_that_keeps_losing_them_is_not_asked_a_third_time(tmp_path: Path) -> None:
    lost = answers()["develop_series"][0]
    lost["logline"] = "A young woman fights for the family company."
    for character in lost["characters"]:
        character["role"] = "heroine"
        character["arc"] = "grows up"
        character["secrets"] = []
    project = make_project(tmp_path / "p", answers() | {"develop_series": [lost]})
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert rows(project, "select count(*) from usage where task = 'develop_series'") == [(2,)]


def test_characters_named_by_their_roles_are_given_names(tmp_path: Path) -> None:
    kept = answers()["develop_series"][0]
    roles = json.loads(json.dumps(kept))
    roles["characters"][0]["name"] = "Nurse"
    roles["characters"][1]["name"] = "The Patient"
    replies = answers() | {"develop_series": [roles, kept]}
    project = make_project(tmp_path / "p", replies)
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    asked = [c for c in read_calls(project) if c["task"] == "develop_series"]
    assert len(asked) == 2
    assert "Nurse, The Patient are roles, not names" in asked[1]["messages"][-1]["content"]
    (content,) = rows(project, "select content from drafts where kind = 'bible'")
    names = [c["name"] for c in json.loads(content[0])["characters"]]
    assert names == [c["name"] for c in kept["characters"]]


def test_the_outline_is_asked_for_with_its_number_and_runtime_fixed(tmp_path: Path) -> None:
    """The request's schema holds what the room knows: the episode's number, its runtime."""
    replies = answers()

    def answer(body: dict[str, Any]) -> str:
        title = body["response_format"]["json_schema"]["schema"]["title"]
        task = {"SeriesBible": "develop_series", "EpisodeOutline": "outline_episode"}[title]
        return json.dumps(replies[task][0])

    endpoint = RecordedOpenAI(answer)
    with endpoint as base_url:
        project = make_project(
            tmp_path / "p", extra_toml=on_loopback("showrunner", "room-7b", base_url)
        )
        result = wr("run", "Twin sisters swapped at birth", "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    (outline,) = [
        body["response_format"]["json_schema"]["schema"]
        for body in endpoint.bodies
        if body["response_format"]["json_schema"]["schema"]["title"] == "EpisodeOutline"
    ]
    assert outline["properties"]["number"]["enum"] == [1]
    assert outline["properties"]["target_runtime_seconds"]["enum"] == [90]
    (kept,) = rows(project, "select content from drafts where kind = 'outline'")
    assert json.loads(kept[0])["beats"] == replies["outline_episode"][0]["beats"]


def test_stand_in_names_are_renamed_by_the_room_not_asked_for_again(tmp_path: Path) -> None:
    """The embedded model called its debt collector and widow John Doe and Jane Smith, and
    asked again, wrote the same: the room gives them names of their own wherever the bible
    says them, and asks nobody."""
    bible = answers()["develop_series"][0]
    bible["characters"][0]["name"] = "John Doe"
    bible["characters"][1]["name"] = "Jane Smith"
    bible["logline"] = "John Doe learns that Jane took the Johnson file from Doe Street."
    bible["season_arc"][0]["logline"] = "JOHN DOE finds the birth record."
    project = make_project(
        tmp_path / "p",
        answers() | {"develop_series": [bible]},
        extra_toml='\n[room]\ncheckpoints = ["approve_outline"]\n',
    )
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    (content,) = rows(project, "select content from drafts where kind = 'bible'")
    kept = json.loads(content[0])
    assert [c["name"] for c in kept["characters"]] == ["Daniel Reyes", "Nora Castell", "Chen Hao"]
    assert (
        kept["logline"] == "Daniel Reyes learns that Nora took the Johnson file from Reyes Street."
    )
    assert kept["season_arc"][0]["logline"] == "DANIEL REYES finds the birth record."
    assert rows(project, "select count(*) from usage where task = 'develop_series'") == [(1,)]
    (outline,) = [c for c in read_calls(project) if c["task"] == "outline_episode"]
    asked = outline["messages"][-1]["content"]
    assert "Daniel Reyes" in asked and "John Doe" not in asked


def test_a_chinese_stand_in_name_is_renamed_inside_chinese_text() -> None:
    bible = SeriesBible.model_validate(answers()["develop_series"][0])
    bible.characters[0].name = "张三"
    bible = bible.model_copy(update={"logline": "张三发现李华是她的姐姐。"})
    renamed = showrunner.own_names(bible)
    assert renamed.characters[0].name == "林晓"
    assert renamed.logline == "林晓发现李华是她的姐姐。"


def test_an_outline_that_says_its_beats_again_keeps_each_once(tmp_path: Path) -> None:
    """The embedded model's outline for the revenge premise alternated two beats for twelve:
    a beat said again (reworded a little too) is dropped, and an outline that says one thing
    over and over is asked for again, told so."""
    good = answers()["outline_episode"][0]
    looping = copy.deepcopy(good)
    first, second = good["beats"][0]["description"], good["beats"][1]["description"]
    looping["beats"] = [
        {"at_seconds": 10 * i, "description": [first, second, f"Then {second.lower()}"][i % 3]}
        for i in range(9)
    ]
    once = copy.deepcopy(good)
    once["beats"] = [{"at_seconds": 5 * i, "description": first} for i in range(6)]
    project = make_project(
        tmp_path / "p",
        answers() | {"outline_episode": [once, looping]},
        extra_toml='\n[room]\ncheckpoints = ["approve_outline"]\n',
    )
    result = wr("new", "Twin sisters swapped at birth", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    usage = rows(project, "select problem from usage where task = 'outline_episode'")
    assert len(usage) == 2 and "say one thing over and over" in usage[0][0]
    (content,) = rows(project, "select content from drafts where kind = 'outline'")
    assert json.loads(content[0])["beats"] == [
        {"at_seconds": 0, "description": first},
        {"at_seconds": 10, "description": second},
    ]
