"""`writersroom check --model`: the continuity agent's layer beside the rules, on an
OpenAI-compatible endpoint on loopback (the request and response shapes of chat completions)."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

from conftest import RecordedOpenAI, wr

SCRIPT = """Title: The Ward
Characters: Lin Mei (26), Chen Hao (30)

INT. CITY HOSPITAL - WARD - NIGHT

Mei checks the drip. Hao watches her from the bed; they have never met.

LIN MEI
Your pressure is low. Sleep.

CHEN HAO
Who are you?

EXT. HOSPITAL ROOF - NIGHT

Hao finds Mei at the railing.

CHEN HAO
You always hid up here when we were kids, little sister.

LIN MEI
Go back to bed.

INT. CITY HOSPITAL - CORRIDOR - NIGHT

CHEN HOA
Wait for me.
"""


def agent_report(*issues: dict[str, Any]) -> str:
    return json.dumps({"issues": list(issues)})


SISTER = {
    "kind": "relationship",
    "severity": "error",
    "scene": 2,
    "line": 1,
    "description": "Hao calls Mei his little sister, but in scene 1 they have never met",
    "evidence": "scene 1 action: they have never met",
}


def project_config(folder: Path, base_url: str) -> None:
    (folder / "writersroom.toml").write_text(
        f'[providers.loopback]\nkind = "openai"\nbase_url = "{base_url}"\napi_key = "sk-local"\n'
    )


def test_the_agent_layer_runs_with_the_rules_and_each_issue_says_who_found_it(
    tmp_path: Path,
) -> None:
    script = tmp_path / "ward.fountain"
    script.write_text(SCRIPT)
    endpoint = RecordedOpenAI(agent_report(SISTER))
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        as_json = wr("check", str(script), "--model", "loopback:checker-7b", "--json", cwd=tmp_path)
        human = wr("check", str(script), "--model", "loopback:checker-7b", cwd=tmp_path)
    assert as_json.returncode == 1, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["found_by"] == {"rules": 1, "agent": 1}
    found = {(i["found_by"], i["kind"], i["scene"], i["line"]) for i in report["issues"]}
    assert found == {("rules", "unknown_speaker", 3, 1), ("agent", "relationship", 2, 1)}
    assert human.returncode == 1
    assert "(rules 1, agent on loopback:checker-7b 1)" in human.stdout
    assert "error · relationship · agent · scene 2, line 1" in human.stdout
    body = endpoint.bodies[0]
    assert body["model"] == "checker-7b"
    assert body["response_format"]["json_schema"]["schema"]["title"] == "ContinuityReport"
    prompt = body["messages"][-1]["content"]
    assert "Lin Mei (26), Chen Hao (30)" in prompt  # the title page's cast stands for a bible
    # the scene's dialogue numbered from 1, speakers spelled as on the title page
    assert '"1":"Chen Hao: You always hid up here when we were kids, little sister."' in prompt


def test_a_long_script_is_read_in_windows_of_whole_scenes(tmp_path: Path) -> None:
    scenes = "\n".join(
        f"INT. ROOM {n} - DAY\n\nMei crosses the room and stops at the window. " * 1
        + "She counts the cars below, one by one, as the rain starts. " * 8
        + f"\n\nLIN MEI\nScene {n}, and still nothing.\n"
        for n in range(1, 31)
    )
    script = tmp_path / "long.fountain"
    script.write_text("Title: Long\nCharacters: Lin Mei (26), Chen Hao (30)\n\n" + scenes)

    def first_scene_of_the_window(body: dict[str, Any]) -> str:
        shown = [int(n) for n in re.findall(r'\{"scene":(\d+)', body["messages"][-1]["content"])]
        issue = SISTER | {"kind": "timeline", "severity": "warning", "scene": shown[0]}
        return agent_report(issue)

    endpoint = RecordedOpenAI(first_scene_of_the_window)
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        result = wr("check", str(script), "--model", "loopback:checker-7b", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # warnings only
    windows = [
        [int(n) for n in re.findall(r'\{"scene":(\d+)', b["messages"][-1]["content"])]
        for b in endpoint.bodies
    ]
    assert len(windows) >= 2
    assert [n for window in windows for n in window] == list(range(1, 31))  # each scene once
    agent = [i["scene"] for i in json.loads(result.stdout)["issues"] if i["found_by"] == "agent"]
    assert sorted(agent) == [window[0] for window in windows]


def test_an_unreachable_model_is_one_clear_line(tmp_path: Path) -> None:
    script = tmp_path / "ward.fountain"
    script.write_text(SCRIPT)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    project_config(tmp_path, f"http://127.0.0.1:{port}/v1")
    result = wr("check", str(script), "--model", "loopback:checker-7b", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "loopback:checker-7b" in lines[0] or "127.0.0.1" in lines[0]


def test_an_unknown_provider_is_refused_before_any_reading(tmp_path: Path) -> None:
    script = tmp_path / "ward.fountain"
    script.write_text(SCRIPT)
    result = wr("check", str(script), "--model", "nowhere:gpt", cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown provider 'nowhere'" in result.stderr


def test_scenes_are_held_to_the_script_and_a_line_it_lacks_is_dropped(tmp_path: Path) -> None:
    script = tmp_path / "ward.fountain"
    script.write_text(SCRIPT)
    endpoint = RecordedOpenAI(agent_report(SISTER | {"line": 7}))
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        result = wr("check", str(script), "--model", "loopback:checker-7b", "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (body,) = endpoint.bodies  # read as it came: no re-ask for the line
    issue_schema = body["response_format"]["json_schema"]["schema"]["$defs"]["ContinuityIssue"]
    assert issue_schema["properties"]["scene"]["enum"] == [1, 2, 3]
    agent = [i for i in json.loads(result.stdout)["issues"] if i["found_by"] == "agent"]
    assert [(i["kind"], i["scene"], i["line"]) for i in agent] == [("relationship", 2, None)]


def issue(kind: str, scene: int, description: str) -> dict[str, Any]:
    return {"kind": kind, "severity": "error", "scene": scene, "description": description}


def test_the_agents_errors_of_kinds_the_rules_check_stand_only_where_the_rules_agree(
    tmp_path: Path,
) -> None:
    """Cues are read against the cast and deaths against the script: the agent's speaker and
    death errors stand where the rules see them too; where they do not, a speaker error is
    dropped (the rules read every cue) and a death is a warning."""
    script = tmp_path / "ward.fountain"
    script.write_text(SCRIPT.replace("Go back to bed.", "Go back to bed.\n\nHao falls. Hao dies."))
    endpoint = RecordedOpenAI(
        agent_report(
            issue("unknown_speaker", 1, "Lin Mei is not in the cast"),  # she is
            issue("unknown_speaker", 3, "CHEN HOA is nobody in the cast"),  # so say the rules
            issue("dead_character", 1, "Lin Mei is dead"),  # nobody has died yet
            issue("dead_character", 3, "Chen Hao speaks after his death in scene 2"),
        )
    )
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        result = wr("check", str(script), "--model", "loopback:checker-7b", "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    agent = {
        (i["kind"], i["scene"], i["severity"])
        for i in json.loads(result.stdout)["issues"]
        if i["found_by"] == "agent"
    }
    assert agent == {
        ("unknown_speaker", 3, "error"),
        ("dead_character", 1, "warning"),
        ("dead_character", 3, "error"),
    }


def test_one_piece_of_evidence_cited_for_three_kinds_is_a_walked_list_and_dropped(
    tmp_path: Path,
) -> None:
    """The embedded agent cited one action paragraph as a location, timeline, prop and age
    error in turn; a contradiction has one kind, so none of them stands. Evidence given for
    two kinds, and the agent's other findings, stay."""
    script = tmp_path / "ward.fountain"
    script.write_text(SCRIPT)
    action = "Mei checks the drip. Hao watches her from the bed; they have never met."
    walked = [
        issue(kind, 1, f"The {kind} of Mei has changed from the earlier episode.")
        | {"severity": "warning", "evidence": action}
        for kind in ("location", "timeline", "prop", "age")
    ]
    pair = [
        issue(kind, 2, "Hao wears his hospital gown on the roof, where it is winter")
        | {"severity": "warning", "evidence": "scene 2: EXT. HOSPITAL ROOF - NIGHT"}
        for kind in ("appearance", "location")
    ]
    endpoint = RecordedOpenAI(agent_report(*walked, SISTER, *pair))
    with endpoint as base_url:
        project_config(tmp_path, base_url)
        result = wr("check", str(script), "--model", "loopback:checker-7b", "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    agent = {
        (i["kind"], i["scene"])
        for i in json.loads(result.stdout)["issues"]
        if i["found_by"] == "agent"
    }
    assert agent == {("relationship", 2), ("appearance", 2), ("location", 2)}
