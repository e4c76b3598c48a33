"""`writersroom eval planted`: errors planted by program, measured per type, and the originals."""

from __future__ import annotations

import json
import random
from pathlib import Path

from writersroom import fountain
from writersroom.evals import planted

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
    assert report["scripts"] == 6 and report["originals_flagged"] == 0
    for kind in planted.TYPES:
        row = report["per_type"][kind]
        assert row["planted"] == 6, kind
        assert 0 <= row["found"] <= row["planted"]
    assert report["per_type"]["timeline"]["recall"] == 1.0
    assert report["per_type"]["name_drift"]["recall"] == 1.0


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
