"""Fountain in and out, and `writersroom check` on any script, bad files included."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from conftest import answers, wr
from test_bad_input import one_error_line

from writersroom.errors import InputError
from writersroom.schemas import Script
from writersroom.screenplay import fountain

SET = files("writersroom.evals").joinpath("continuity", "scripts")
CAST = [("Lin Mei", 26), ("Lin Yue", 26), ("Chen Hao", 29)]


def round_trip(text: str) -> tuple[Script, Script]:
    first = fountain.to_script(fountain.parse(text))
    again = fountain.to_fountain(first, fountain.parse(text).cast())
    return first, fountain.to_script(fountain.parse(again))


def test_a_room_script_exports_and_imports_unchanged() -> None:
    script = Script.model_validate(answers()["write_script"][0])
    text = fountain.to_fountain(script, CAST)
    assert text.startswith("Title: The Record 1\nEpisode: 1\nCharacters: Lin Mei (26), ")
    assert "INT. LIN TOWER BOARDROOM - DAY #1#\n\n" in text
    assert "LIN YUE\n(smiling)\nYou dropped something, cleaner.\n" in text
    assert fountain.to_script(fountain.parse(text)) == script


def test_import_export_import_gives_the_same_script() -> None:
    trips = 0
    for path in sorted(SET.iterdir()):
        try:
            first, second = round_trip(path.read_text(encoding="utf-8"))
        except InputError as exc:  # longer than a room script may be: said so, not crashed
            assert "does not fit a room script" in str(exc)
            continue
        assert second == first, path.name
        trips += 1
    assert trips >= 40


def test_export_forces_what_fountain_would_misread() -> None:
    tricky = Script.model_validate(
        {
            "episode": 3,
            "title": "Forced",
            "scenes": [
                {
                    "number": 7,
                    "heading": "The roof, later",
                    "action": "BANG!\nThe door flies open.\n\nINT. IS WHAT SHE WRITES\n!Really",
                    "lines": [
                        {"speaker": "林梅", "text": "走。", "parenthetical": ""},
                        {"speaker": "McKay", "text": "(beat) Fine.\nGo.", "parenthetical": "low"},
                    ],
                }
            ],
        }
    )
    text = fountain.to_fountain(tricky)
    assert ".The roof, later #7#" in text and "!BANG!" in text and "!!Really" in text
    assert fountain.to_script(fountain.parse(text)) == tricky


def test_the_parser_reads_what_writers_write() -> None:
    play = fountain.parse(
        "Title: Night Shift\nCharacters:\n    Lin Mei (26)\n    Chen Hao\n\n"
        "FADE IN:\n\nINT. WARD - NIGHT #4#\n\n[[a note]] Rain. /* cut this */\n\n"
        "CHEN HAO (V.O.)\n(tired)\nStill here?\n\n@Lin Mei\nAlways.\n\n> CUT TO:\n\n"
        ".THE ROOF\n\nWind.\n"
    )
    assert play.title == "Night Shift"
    assert play.cast() == [("Lin Mei", 26), ("Chen Hao", None)]
    ward, roof = play.scenes
    assert (ward.number, ward.heading, roof.number, roof.heading) == (4, "INT. WARD - NIGHT", 5,
                                                                        "THE ROOF")  # fmt: skip
    action, hao, mei = ward.elements
    assert action.text.strip() == "Rain."
    assert (hao.speaker, hao.extension, hao.parenthetical, hao.text, hao.line) == (
        "CHEN HAO", "V.O.", "tired", "Still here?", 1
    )  # fmt: skip
    assert (mei.speaker, mei.line, mei.at) == ("Lin Mei", 2, 16)  # its line in the file


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty: give a Fountain screenplay"),
        (b"   \n\n  ", "is empty: give a Fountain screenplay"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file, not a Fountain screenplay"),
        ("Caf\xe9 scene".encode("latin-1"), "is not UTF-8 text"),
        (b"INT. HALL - DAY\n\n" + b"Mei waits.\n\n" * 400_000, "is 4.8 MB; a script to check"),
        (b'{"episode": 1, "scenes": []}', "does not look like a Fountain screenplay"),
        (b"Dear diary, today I wrote nothing at all.\n", "does not look like a Fountain"),
    ],
)
def test_bad_input_to_check_is_one_clear_line(tmp_path: Path, content: bytes, expected) -> None:
    path = tmp_path / "script.fountain"
    path.write_bytes(content)
    line = one_error_line(wr("check", str(path)))
    assert line.startswith(f"error: {path}") and expected in line


def test_a_missing_file_and_a_series_that_is_not_one(tmp_path: Path) -> None:
    assert "no such file" in one_error_line(wr("check", str(tmp_path / "nope.fountain")))
    script = tmp_path / "ok.fountain"
    script.write_text("INT. HALL - DAY\n\nMei waits.\n")
    line = one_error_line(wr("check", str(script), "--series", str(tmp_path / "nowhere")))
    assert "is not a writersroom project" in line


def test_check_reports_planted_errors_and_passes_clean_scripts() -> None:
    clean = wr("check", str(SET.joinpath("clean_0080.fountain")))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 error(s)" in clean.stdout
    planted = wr("check", str(SET.joinpath("drift_1323.fountain")), "--json")
    assert planted.returncode == 1
    report = json.loads(planted.stdout)
    assert report["errors"] == 1
    [issue] = report["issues"]
    assert (issue["kind"], issue["scene"], issue["line"], issue["found_by"]) == (
        "name_drift", 2, 3, "rules"
    )  # fmt: skip
    text = SET.joinpath("drift_1323.fountain").read_text().split("\n")
    assert text[issue["file_line"] - 1] == "SONG RUYU"
    human = wr("check", str(SET.joinpath("drift_1323.fountain")))
    assert human.returncode == 1
    assert 'error · name_drift · rules · scene 2, line 3: "SONG RUYU" speaks' in human.stdout
