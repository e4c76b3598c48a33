"""Series memory across episodes: the facts ledger, memory in the prompts, the checker's gate."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import RecordedOpenAI, answers, calls, killed_while_answering, make_project, rows, wr
from test_bad_input import one_error_line
from test_check_model import project_config

from writersroom.agents import continuity, director
from writersroom.config import load_config
from writersroom.continuity import checker
from writersroom.continuity.canon import Known
from writersroom.memory import Memory, open_database
from writersroom.memory.facts import Facts, recall
from writersroom.providers import ModelRegistry
from writersroom.room.context import Room
from writersroom.schemas import EpisodeOutline, Script, SeriesBible

PREMISE = "Twin sisters swapped at birth fight over the family empire"
SMASHED = "Chen Hao steps out of the dark and smashes the jade pendant Mei dropped."
WORN = "Mei fastens the jade pendant at her throat and walks into the vote."


def three_episodes() -> dict[str, Any]:
    """Episode 1 destroys Mei's jade pendant in scene 2; episode 3 has her wear it."""
    replies = answers()
    one = copy.deepcopy(replies["write_script"][0])
    one["scenes"][1]["action"] = SMASHED
    two = {**copy.deepcopy(replies["write_script"][0]), "episode": 2, "title": "The Record 2"}
    three = copy.deepcopy(replies["write_script"][0]) | {"episode": 3, "title": "The Vote"}
    three["scenes"][0]["action"] = WORN
    replies["write_script"] = [one, two, three]
    outline = replies["outline_episode"][0]
    replies["outline_episode"] = [outline] + [
        {**outline, "number": n, "title": f"The Record {n}"} for n in (2, 3)
    ]
    facts = replies["extract_facts"][0]
    pendant = {
        "character": "Lin Mei",
        "kind": "possession",
        "subject": "jade pendant",
        "value": "destroyed",
        "scene": 2,
        "text": "Chen Hao smashes Mei's jade pendant in the archive.",
    }
    replies["extract_facts"] = [
        {**facts, "facts": [*facts["facts"], pendant]},
        {**facts, "summary": "Yue strikes back.", "facts": [], "open_threads": ["Who leaked?"]},
    ]
    return replies


def test_episode_three_contradicting_episode_one_is_flagged_with_its_source(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "p", three_episodes())
    assert wr("run", PREMISE, "--auto", "--dir", str(project)).returncode == 0
    assert wr("next-episode", "--auto", "--dir", str(project)).returncode == 0
    result = wr("next-episode", "--auto", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    # the errors stop even an --auto run at approve_script, for a person to decide
    assert "Episode 3 waits for you at approve_script" in result.stdout

    ledger = rows(
        project,
        "select episode, scene, character, kind, subject, value, found_by from facts "
        "where subject = 'jade pendant'",
    )
    assert ledger == [(1, 2, "Lin Mei", "possession", "jade pendant", "destroyed", "model")]
    report = json.loads(
        rows(
            project,
            "select content from drafts where episode = 3 and kind = 'continuity' "
            "order by revision desc limit 1",
        )[0][0]
    )
    [issue] = report["issues"]
    assert (issue["kind"], issue["severity"], issue["scene"], issue["found_by"]) == (
        "prop", "error", 1, "rules"
    )  # fmt: skip
    assert (issue["fact_episode"], issue["fact_scene"]) == (1, 2)
    assert issue["evidence"] == (
        "Chen Hao smashes Mei's jade pendant in the archive. (episode 1, scene 2)"
    )
    # the screenwriter was told, and so were the editor and the continuity agent
    rewrite = calls(project, "write_script")[-1]["messages"][-1]["content"]
    assert "Continuity (scene 1: the jade pendant is used but was lost or destroyed" in rewrite
    assert "Chen Hao smashes Mei's jade pendant in the archive. (episode 1, scene 2)" in rewrite
    agent = calls(project, "check_continuity")[-1]["messages"][-1]["content"]
    assert "jade pendant" in agent and "open thread: Who leaked?" in agent

    shown = wr("show", "script", "--dir", str(project))
    assert "[error] scene 1: the jade pendant is used" in shown.stdout
    line = one_error_line(wr("approve", "--dir", str(project)))
    assert line.startswith("error: the script has 1 continuity error(s): scene 1: the jade")
    assert "(episode 1, scene 2)" in line and "approve --override" in line
    assert rows(project, "select count(*) from decisions where episode = 3 and "
                         "checkpoint = 'approve_script'") == [(0,)]  # fmt: skip

    # an edit that keeps the error is refused the same way; the draft stays as it was
    draft = tmp_path / "draft.json"
    script = json.loads(
        rows(
            project,
            "select content from drafts where episode = 3 and "
            "kind = 'script' order by revision desc limit 1",
        )[0][0]
    )
    script["scenes"][0]["action"] = WORN + " She smiles."
    draft.write_text(json.dumps(script))
    line = one_error_line(wr("edit", "--file", str(draft), "--dir", str(project)))
    assert "the script has 1 continuity error(s): scene 1: the jade pendant" in line

    result = wr("approve", "--override", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert rows(
        project,
        "select action, by, override from decisions where episode = 3 and "
        "checkpoint = 'approve_script'",
    ) == [("approve", "person", 1)]
    assert rows(project, "select status from episodes where number = 3") == [("remembered",)]


def test_memory_search_and_facts_commands(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", three_episodes())
    assert wr("run", PREMISE, "--auto", "--dir", str(project)).returncode == 0
    found = wr("memory", "search", "pendant", "--dir", str(project))
    assert found.returncode == 0, found.stderr
    assert "episode 1, scene 2 (possession fact): Chen Hao smashes Mei's jade pendant" in (
        found.stdout
    )
    assert "episode 1, scene 2 (scene): " + SMASHED in found.stdout
    odd = wr("memory", "search", 'yellowed" file*', "--dir", str(project))
    assert odd.returncode == 0 and "yellowed file" in odd.stdout  # FTS syntax is quoted
    facts = wr("memory", "facts", "lin mei", "--dir", str(project))
    assert facts.returncode == 0
    assert "episode 1, scene 2 · possession: jade pendant (destroyed)" in facts.stdout
    line = one_error_line(wr("memory", "facts", "Nobody", "--dir", str(project)))
    assert line == "error: no facts about 'Nobody' (the cast: Lin Mei, Lin Yue, Chen Hao)"
    exported = wr("export", "1", "--fountain", "--dir", str(project))
    assert exported.returncode == 0
    assert exported.stdout.startswith("Title: The Record 1\nEpisode: 1\nCharacters: Lin Mei (26)")
    later = tmp_path / "later.fountain"
    later.write_text("Title: Later\nEpisode: 2\n\nINT. HALL - DAY\n\nMei wears the jade pendant.\n")
    checked = wr("check", str(later), "--series", str(project), "--json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    [issue] = json.loads(checked.stdout)["issues"]
    assert (issue["kind"], issue["fact_episode"], issue["fact_scene"]) == ("prop", 1, 2)
    alone = wr("check", str(later))  # without the series' memory nothing contradicts it
    assert alone.returncode == 0, alone.stdout


def test_killed_during_remember_leaves_no_half_written_facts(tmp_path: Path) -> None:
    replies = three_episodes()
    replies["extract_facts"] = [
        {"reply": replies["extract_facts"][0], "delay_seconds": 60},
        replies["extract_facts"][0],
    ]
    project = make_project(tmp_path / "p", replies)
    killed_while_answering(project, PREMISE, "extract_facts")
    assert rows(project, "select count(*) from facts") == [(0,)]
    assert rows(project, "select count(*) from scene_texts") == [(0,)]
    assert rows(project, "select status, summary from episodes") == [("in progress", None)]
    assert "stopped before remember" in wr("status", "--dir", str(project)).stdout

    result = wr("resume", "--dir", str(project))
    assert result.returncode == 0, result.stderr
    assert rows(project, "select status from episodes") == [("remembered",)]
    written = rows(project, "select scene, character, kind, subject from facts order by id")
    assert len(written) == len(set(written)) >= 4  # every fact once: 3 + a thread (+ rules')
    assert rows(project, "select count(*) from scene_texts") == [(2,)]


def ledger(tmp_path: Path) -> Facts:
    return Facts(open_database(tmp_path / "w.db"))


FACTS = [
    (Known(1, 2, "Lin Mei", "state", "injured", "", "Mei cuts her hand on the glass."), "model"),
    (Known(1, 2, "Lin Mei", "possession", "jade pendant", "destroyed", "It shatters."), "rules"),
]
SCENES = [
    {"scene": 2, "heading": "INT. ARCHIVE - NIGHT", "present_at_end": ["Lin Mei"], "text": "x"}
]


def test_remember_writes_in_one_transaction_and_rewrites_on_a_rerun(tmp_path: Path) -> None:
    memory = ledger(tmp_path)
    memory.db.execute("insert into episodes (number, status) values (1, 'in progress')")
    memory.db.conn.commit()
    statements: list[str] = []
    memory.db.conn.set_trace_callback(statements.append)
    memory.record_episode(1, FACTS, SCENES, "Mei is hurt.", ["Who broke in?"], "remembered")
    memory.db.conn.set_trace_callback(None)
    writes = [s.split()[0].upper() for s in statements]
    assert writes[0] == "BEGIN" and writes[-1] == "COMMIT"
    assert writes.count("BEGIN") == 1 and writes.count("COMMIT") == 1
    memory.record_episode(1, FACTS, SCENES, "Mei is hurt.", ["Who broke in?"], "remembered")
    assert memory.db.execute("select count(*) from facts").fetchone() == (3,)
    assert memory.db.execute("select count(*) from scene_texts").fetchone() == (1,)


def test_a_failure_midway_through_remember_writes_nothing(tmp_path: Path) -> None:
    memory = ledger(tmp_path)
    bad_scenes = [*SCENES, {"scene": 2, **{k: v for k, v in SCENES[0].items() if k != "scene"}}]
    with pytest.raises(sqlite3.IntegrityError):  # the second scene 2 breaks the primary key
        memory.record_episode(1, FACTS, bad_scenes, "Mei is hurt.", [], "remembered")
    assert memory.db.execute("select count(*) from facts").fetchone() == (0,)
    assert memory.db.execute("select count(*) from episodes").fetchone() == (0,)


def test_the_prompt_slice_keeps_to_its_budget(tmp_path: Path) -> None:
    memory = ledger(tmp_path)
    memory.record_episode(1, FACTS, SCENES, "Mei is hurt.", ["Who broke in?"], "remembered")
    cast = ["Lin Mei", "Lin Yue"]
    full = recall(memory, cast, 2, "Mei opens the door.", 1000, "Yue watches them.")
    assert full.splitlines() == [
        "The last episode ended: Yue watches them.",
        "- Lin Mei: Mei cuts her hand on the glass. (episode 1, scene 2)",
        "- Lin Mei: It shatters. (episode 1, scene 2)",
        "- open thread: Who broke in?",
    ]
    short = recall(memory, cast, 2, "Mei opens the door.", 30, "Yue watches them.")
    assert len(short) <= 30 * 4 and short.splitlines() == full.splitlines()[:2]
    assert "Mei cuts" not in recall(memory, cast, 2, "Yue alone.", 1000)  # only who is in it
    assert recall(memory, cast, 1, "Mei.", 1000).startswith("(nothing is remembered yet")


def test_the_facts_asked_for_are_held_to_what_their_checks_demand(tmp_path: Path) -> None:
    """The cast, the script's scenes, a state's and a possession's words, and at most two facts
    a scene: a model under the schema's grammar cannot write a fact that would be refused, and
    one that repeats itself stops."""
    replies = answers()
    script = Script.model_validate(replies["write_script"][0])
    endpoint = RecordedOpenAI(json.dumps(replies["extract_facts"][0]))
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        facts = continuity.extract_facts(
            checker.reading_room("loopback:keeper", tmp_path),
            SeriesBible.model_validate(replies["develop_series"][0]),
            EpisodeOutline.model_validate(replies["outline_episode"][0]),
            script,
        )
    assert facts.facts
    (body,) = endpoint.bodies
    schema = body["response_format"]["json_schema"]["schema"]
    assert len(script.scenes) == 2 and schema["properties"]["facts"]["maxItems"] == 4
    cast = [c.name for c in SeriesBible.model_validate(replies["develop_series"][0]).characters]
    state, possession, other = schema["$defs"]["Fact"]["anyOf"]  # what the checks demand
    for variant in (state, possession, other):
        assert variant["properties"]["character"]["enum"] == cast
        assert variant["properties"]["scene"]["enum"] == [1, 2]
    assert state["properties"]["kind"]["enum"] == ["state"]
    assert state["properties"]["subject"]["enum"] == ["alive", "injured", "dead"]
    assert possession["properties"]["value"]["enum"] == ["has", "lost", "destroyed", "gave away"]
    assert "value" in possession["required"]
    assert set(other["properties"]["kind"]["enum"]) == {
        "location", "knowledge", "relationship", "appearance"
    }  # fmt: skip


def test_the_shot_list_asked_for_is_held_to_the_scripts_scenes(tmp_path: Path) -> None:
    replies = answers()
    script = Script.model_validate(replies["write_script"][0])
    bible = SeriesBible.model_validate(replies["develop_series"][0])
    endpoint = RecordedOpenAI(json.dumps(replies["plan_shots"][0]))
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        config = load_config(tmp_path).with_models({director.AGENT: "loopback:director"})
        memory = Memory(open_database(Path(":memory:")))
        room = Room(config, memory, ModelRegistry(config, tmp_path), 1, frozenset())
        shots = director.plan_shots(room, bible, script, 90)
    assert [s.scene for s in shots.shots] == [1, 1, 1, 2]
    (body,) = endpoint.bodies
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["shots"]["minItems"] == 2  # a shot a scene at least
    shot = schema["$defs"]["Shot"]
    assert shot["properties"]["scene"]["enum"] == [1, 2]
    assert {"characters", "lines"} <= set(shot["required"])
    assert shot["properties"]["characters"]["items"]["enum"] == [c.name for c in bible.characters]
