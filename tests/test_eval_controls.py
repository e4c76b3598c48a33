"""Metrics that can fail: times from the rendered cut, and negative controls.

A broken copy of a script (scenes duplicated, the ending cut, scenes shuffled) must score worse
than its source on the metrics meant to catch it, and no worse on the others.
"""

from __future__ import annotations

import random

import pytest

from writersroom.evals import controls, metrics
from writersroom.evals.cut import parse_srt, voice_seconds
from writersroom.evals.episodes import Episode

SOURCE = """Title: The Locket

INT. PAWN SHOP - NIGHT

MEI LIN, 26, counts the till. A knife glints under the counter.

MEI LIN
Who's there?

YUE LIN, her twin, steps out of the dark.

YUE LIN
You sold Mother's locket.

INT. PAWN SHOP - LATER

CHEN HAO, a debt collector, kicks the door in.

CHEN HAO
Forty thousand by Friday.

MEI LIN
We'll pay.

YUE LIN
With what?

EXT. PIER - DAWN

Mei Lin and Yue Lin stare at the water. Chen Hao watches from his car.

YUE LIN
I found the buyer. He's here.

MEI LIN
Then we end this tonight.

INT. WAREHOUSE - NIGHT

A door creaks. The buyer turns: it is their father.

MEI LIN
Dad?
"""


def measured(script: dict) -> dict:
    return metrics.measure(Episode(id="x", source="x", script=script))


@pytest.fixture
def source() -> dict:
    return controls.from_fountain(SOURCE)


def test_a_duplicated_scene_fails_repetition_only(source: dict) -> None:
    before, after = measured(source), measured(controls.duplicated(source, random.Random(0)))
    assert after["repeated_lines"] > before["repeated_lines"]
    assert after["distinct_2"] < before["distinct_2"]
    assert after["ends_open"] == before["ends_open"]
    assert after["introduced_late"] == before["introduced_late"]


def test_a_script_without_its_ending_fails_the_ending(source: dict) -> None:
    before, after = measured(source), measured(controls.no_ending(source, random.Random(0)))
    assert before["ends_open"] is True
    assert after["ends_open"] is False
    assert after["runtime_seconds"] < before["runtime_seconds"]
    assert after["repeated_lines"] == before["repeated_lines"]
    assert after["introduced_late"] == before["introduced_late"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_shuffled_scenes_fail_the_order_of_introductions(source: dict, seed: int) -> None:
    shuffled = controls.shuffled(source, random.Random(seed))
    before, after = measured(source), measured(shuffled)
    assert before["introduced_late"] == 0
    assert after["introduced_late"] > 0
    assert after["repeated_lines"] == before["repeated_lines"]


def test_swapped_speakers_keep_every_line() -> None:
    source = controls.from_fountain(SOURCE)
    swapped = controls.swapped_speakers(source, random.Random(0))
    texts = [(line["text"]) for s in source["scenes"] for line in s["lines"]]
    assert texts == [line["text"] for s in swapped["scenes"] for line in s["lines"]]
    assert swapped != source


SRT = """1
00:00:01,500 --> 00:00:03,000
Who's there?

2
00:00:03,200 --> 00:00:05,000
You sold Mother's locket.
"""


def test_times_from_the_rendered_cut() -> None:
    source = controls.from_fountain(SOURCE)
    ledger = {"backend": "embedded", "cost": 0.0, "cached": 0, "seconds": 1.0}
    voices = [
        ledger | {"tool": "synthesize_voice", "run": 1, "duration_seconds": 100.0},
        ledger | {"tool": "synthesize_voice", "run": 2, "duration_seconds": 4.0},
        ledger | {"tool": "synthesize_voice", "run": 2, "duration_seconds": 4.0},
        ledger | {"tool": "generate_video", "run": 2, "duration_seconds": 30.0},
    ]
    assert voice_seconds(voices) == 8.0  # the latest run's voices only
    episode = Episode(
        id="x",
        source="x",
        script=source,
        subtitles=parse_srt(SRT),
        renders=voices,
        video_seconds=42.5,
    )
    result = metrics.measure(episode)
    assert result["timing"] == "rendered" and result["speech_timing"] == "rendered"
    assert result["first_line_seconds"] == 1.5 and result["hook_in_time"] is True
    assert result["runtime_seconds"] == 42.5
    words = sum(len(line["text"].split()) for s in source["scenes"] for line in s["lines"])
    assert result["speech_wps"] == pytest.approx(words / 8.0, abs=1e-3)
    assert result["speech_too_fast"] is True  # 26 words in 8 s of real voice
    plain = metrics.measure(Episode(id="x", source="x", script=source))
    assert plain["timing"] == "estimated" and plain["speech_timing"] is None
