"""`writersroom eval planted`: errors planted by program, measured per type, and the originals."""

from __future__ import annotations

import difflib
import json
import random
from pathlib import Path
from typing import Any

from conftest import RecordedOpenAI

from writersroom.continuity import checker
from writersroom.evals import planted
from writersroom.screenplay import fountain

SCRIPT = """Title: The Pawn Shop
Description: Two sisters fight over their late father's shop.

INT. PAWN SHOP - DAY

MEI LIN polishes the counter. She hums to herself. YUE LIN storms in, her coat dripping.

YUE LIN
You sold Dad's watch.

MEI LIN
It was mine to sell.

YUE LIN
It was ours.

EXT. STREET - DAY

Yue Lin walks fast. She checks her phone, then her pockets.

MEI LIN
(calling after her)
Yue! Wait!

YUE LIN
Go back to your counter.

INT. PAWN SHOP - NIGHT

Mei Lin counts the till alone. She locks the drawer.

MEI LIN
Forty dollars. That's all we are worth.

YUE LIN
(entering)
Then let's be worth more.

MEI LIN
Sit down.

INT. BACK ROOM - DAY

Yue Lin lays out the papers. She taps the last page.

YUE LIN
Sign here.

MEI LIN
Not yet.
"""


def dataset(tmp_path: Path, copies: int = 6) -> Path:
    folder = tmp_path / "dramabench"
    folder.mkdir(parents=True)
    rows = [
        {"id": f"script_{i}", "context": SCRIPT, "continuation": "", "title": "t"}
        for i in range(copies)
    ]
    (folder / "dramabench_continuation_100.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n"
    )
    return tmp_path


def test_the_report_has_every_type_and_a_clean_original(tmp_path: Path) -> None:
    report = planted.evaluate(dataset(tmp_path))
    assert report["scripts"] == 6 and report["rules"]["originals_flagged"] == 0
    assert "agent" not in report  # no model: the rules only
    for kind in planted.TYPES:
        row = report["rules"]["per_type"][kind]
        assert row["planted"] == 6, kind
        assert 0 <= row["found"] <= row["planted"]
    assert report["rules"]["per_type"]["timeline"]["recall"] == 1.0
    assert report["rules"]["per_type"]["name_drift"]["recall"] == 1.0


def test_the_same_seed_plants_the_same_errors(tmp_path: Path) -> None:
    data = dataset(tmp_path)
    assert planted.evaluate(data, seed=3) == planted.evaluate(data, seed=3)


def test_each_plant_is_one_error_where_it_says() -> None:
    play = fountain.parse(SCRIPT)
    rng = random.Random(1)
    for kind in planted.TYPES:
        copy = planted.load_copy(play)
        plant = planted.plant(copy, kind, rng)
        assert plant is not None and plant.scenes, kind
        changed = [
            a.number
            for a, b in zip(play.scenes, copy.scenes, strict=True)
            if a.heading != b.heading or a.elements != b.elements
        ]
        assert 1 <= len(changed) <= 2, kind
        assert play.scenes[0].elements[0].text.startswith("MEI LIN polishes")  # untouched


def test_a_retyped_name_differs_by_one_letter() -> None:
    rng = random.Random(0)
    for _ in range(20):
        retyped = planted.retype("YUE LIN", rng)
        assert retyped != "YUE LIN"
        assert abs(len(retyped) - len("YUE LIN")) <= 1


def test_the_command_prints_the_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from writersroom.evals.cli import app

    result = CliRunner().invoke(app, ["planted", "--data", str(dataset(tmp_path, 2))])
    assert result.exit_code == 0, result.output
    assert "dead_character" in result.output and "Originals with an error: 0 of 2" in result.output
    missing = CliRunner().invoke(app, ["planted", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1


def one_letter_apart(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    same = sum(m.size for m in difflib.SequenceMatcher(None, a, b).get_matching_blocks())
    return same >= max(len(a), len(b)) - 1


def spelling_reader(body: dict[str, Any]) -> str:
    """A reader on the far side of the endpoint: a speaker spelled one letter away from another
    speaker is name drift, in the scene of the rarer spelling."""
    scenes = json.loads(
        body["messages"][-1]["content"].split("Script draft", 1)[1].split("\n", 1)[1]
    )
    said: dict[str, list[int]] = {}
    for scene in scenes:
        for line in scene["lines"].values():
            said.setdefault(line.split(":", 1)[0], []).append(scene["scene"])
    issues = [
        {
            "kind": "name_drift",
            "severity": "error",
            "scene": said[rare][0],
            "description": f"{rare} is {common} misspelled",
        }
        for rare in said
        for common in said
        if len(said[rare]) < len(said[common]) and one_letter_apart(rare, common)
    ]
    return json.dumps({"issues": issues})


def test_the_agent_layer_and_the_merge_are_measured_beside_the_rules(tmp_path: Path) -> None:
    """`--model`: the agent reads every original and planted copy over HTTP; its layer and the
    merged one get their own figures, and what it cannot see stays the rules' alone."""
    data = dataset(tmp_path / "data", copies=2)
    endpoint = RecordedOpenAI(spelling_reader)
    with endpoint as base_url:
        (tmp_path / "writersroom.toml").write_text(
            f'[providers.loopback]\nkind = "openai"\nbase_url = "{base_url}"\n'
            'api_key = "sk-local"\n'
        )
        room = checker.reading_room("loopback:checker-7b", tmp_path)
        report = planted.evaluate(data, room=room, limit=1)
    assert report["scripts"] == 1
    rules, agent, merged = (report[layer]["per_type"] for layer in ("rules", "agent", "merged"))
    assert agent["name_drift"]["recall"] == 1.0 and agent["name_drift"]["false_alarms"] == 0
    assert agent["dead_character"]["found"] == 0  # this reader only spells
    assert merged["name_drift"]["recall"] == 1.0
    assert merged["dead_character"]["found"] == rules["dead_character"]["found"]
    assert report["agent"]["originals_flagged"] == 0
    assert len(endpoint.bodies) >= 6  # the original and each of its five copies
    assert {b["model"] for b in endpoint.bodies} == {"checker-7b"}


def test_a_copy_the_agent_cannot_read_is_counted_as_failed_not_fatal(tmp_path: Path) -> None:
    data = dataset(tmp_path / "data", copies=1)
    with RecordedOpenAI('{"issues": "none at all"}') as base_url:  # never a valid report
        (tmp_path / "writersroom.toml").write_text(
            f'[providers.loopback]\nkind = "openai"\nbase_url = "{base_url}"\n'
            'api_key = "sk-local"\n'
        )
        report = planted.evaluate(data, room=checker.reading_room("loopback:m", tmp_path))
    assert report["agent"]["failed"] == report["merged"]["failed"] >= 6
    assert report["agent"]["per_type"]["name_drift"]["planted"] == 0
    assert report["rules"]["failed"] == 0
    assert report["rules"]["per_type"]["name_drift"]["planted"] == 1
